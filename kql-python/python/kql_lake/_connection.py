"""The connection: argument normalisation and documentation around the native session."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from . import _native

StrPath = str | os.PathLike[str]


def _now_text(now: str | _dt.datetime | None) -> str | None:
    """An RFC 3339 text for the query clock; a naive datetime is taken as UTC."""
    if now is None or isinstance(now, str):
        return now
    if isinstance(now, _dt.datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=_dt.timezone.utc)
        return now.isoformat()
    raise TypeError(f"now must be an RFC 3339 string or a datetime, not {type(now).__name__}")


ParameterValue = str | bool | int | float | _dt.datetime | _dt.timedelta


def _parameter_text(name: str, value: ParameterValue) -> str:
    """A query parameter's value as the text the engine converts to the declared type."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        ticks = (value.days * 86_400 + value.seconds) * 10_000_000 + value.microseconds * 10
        sign = "-" if ticks < 0 else ""
        ticks = abs(ticks)
        days, rest = divmod(ticks, 864_000_000_000)
        hours, rest = divmod(rest, 36_000_000_000)
        minutes, rest = divmod(rest, 600_000_000)
        seconds, fraction = divmod(rest, 10_000_000)
        return f"{sign}{days}.{hours:02}:{minutes:02}:{seconds:02}.{fraction:07}"
    raise TypeError(
        f"query parameter {name!r}: a str, bool, int, float, datetime or timedelta,"
        f" not {type(value).__name__}"
    )


def _parameters(parameters: Mapping[str, ParameterValue] | None) -> dict[str, str]:
    if parameters is None:
        return {}
    return {name: _parameter_text(name, value) for name, value in parameters.items()}


def _paths(value: StrPath | Sequence[StrPath] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    return [os.fspath(v) for v in value]


def _strings(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


class Connection:
    """A KQL session over a Parquet lake and any tables you register.

    Make one with :func:`connect`. Thread-safe: several threads may query one connection at
    once. Usable as a context manager.
    """

    __slots__ = ("_native",)

    def __init__(
        self,
        lake: StrPath | None = None,
        *,
        now: str | _dt.datetime | None = None,
        memory_limit: int | str | None = None,
        schemas: StrPath | None = None,
        threads: int | None = None,
        allow_network: bool = False,
        externaldata_mirror: StrPath | None = None,
        externaldata_dirs: Sequence[StrPath] = (),
        skip_bad_files: bool = False,
    ) -> None:
        self._native = _native.Connection(
            os.fspath(lake) if lake is not None else None,
            now=_now_text(now),
            memory_limit=memory_limit,
            schemas=os.fspath(schemas) if schemas is not None else None,
            threads=threads,
            allow_network=allow_network,
            externaldata_mirror=(os.fspath(externaldata_mirror) if externaldata_mirror is not None else None),
            externaldata_dirs=[os.fspath(d) for d in externaldata_dirs],
            skip_bad_files=skip_bad_files,
        )

    def skipped_files(self) -> list[tuple[str, str, str]]:
        """The unreadable files ``skip_bad_files=True`` left out of the tables read so far, as
        ``(table, file, why)`` tuples, sorted."""
        return self._native.skipped_files()

    def query(self, kql: str, parameters: Mapping[str, ParameterValue] | None = None) -> _native.QueryResult:
        """Plans ``kql`` and returns the result of its last statement.

        ``parameters`` gives values for the query's ``declare query_parameters(...)``
        (converted to each declared type; a naive datetime is UTC).

        Parse and planning errors (:class:`ParseError`, :class:`PlanError`,
        :class:`NotSupportedError`) are raised here; the query runs when the result is read
        (``to_arrow()``, ``to_polars()``, ``to_pandas()``, iteration, ``pyarrow.table(res)``).
        """
        return self._native.query(kql, _parameters(parameters))

    def query_all(
        self, kql: str, parameters: Mapping[str, ParameterValue] | None = None
    ) -> list[_native.QueryResult]:
        """Every result of a batch of ``;``-separated statements, in order (Kusto's result
        sets)."""
        return self._native.query_all(kql, _parameters(parameters))

    def explain(self, kql: str, analyze: bool = False) -> str:
        """The optimized logical plan and the physical plan of ``kql``; with ``analyze=True``
        the query runs and each operator shows its rows, times and Parquet pruning."""
        return self._native.explain(kql, analyze)

    def register(self, name: str, data: Any) -> None:
        """Registers Python data as table ``name``, replacing any table of that name.

        ``data`` is a pyarrow ``Table``, ``RecordBatch`` or ``RecordBatchReader``, a polars or
        pandas ``DataFrame``, or any object with ``__arrow_c_stream__`` (a DuckDB relation,
        another query's result). It is read once, without copying its buffers. A column with
        the ``arrow.json`` extension type is ``dynamic``.
        """
        self._native.register(name, data)

    def register_parquet(self, name: str, path: StrPath) -> None:
        """Registers a Parquet file or folder (``key=value/`` hive partitions become columns)
        as table ``name``, replacing any table of that name."""
        self._native.register_parquet(name, os.fspath(path))

    def tables(self) -> list[str]:
        """The registered table names, sorted."""
        return self._native.tables()

    def schema(self, table: str) -> dict[str, str]:
        """A table's columns and their KQL types (``string``, ``long``, ``datetime``,
        ``dynamic``, ...), in order. Raises ``KeyError`` for an unknown table."""
        return dict(self._native.schema(table))

    def hunt(
        self,
        rules: StrPath | Sequence[StrPath] | None = None,
        *,
        builtin: bool = False,
        filter: str | Sequence[str] | None = None,
        tactic: str | Sequence[str] | None = None,
        technique: str | Sequence[str] | None = None,
        table: str | Sequence[str] | None = None,
        max_rows: int | None = 1000,
        concurrency: int | None = None,
    ) -> _native.HuntReport:
        """Runs hunting rules (Sentinel YAML) over this connection's tables.

        Args:
            rules: a rule file or a folder of rules (searched recursively), or several.
                Without rules, the four built-in seed hunts run.
            builtin: run the built-in seed hunts as well as ``rules``.
            filter: only rules whose id, name or file name matches this glob, ignoring case
                (``"anydesk"`` means ``*anydesk*``); several: any may match.
            tactic: only rules with this MITRE tactic (or any of several).
            technique: only rules with this technique or a sub-technique of it.
            table: only rules that read this table.
            max_rows: result rows kept per rule (all are counted); None keeps all.
            concurrency: rules run at a time (default: one per core).

        Returns a :class:`HuntReport`: ``summary()``, ``to_arrow()`` (one row per rule),
        ``rows(rule)``, ``counts()``.
        """
        return self._native._hunt(
            _paths(rules),
            builtin,
            _strings(filter),
            _strings(tactic),
            _strings(technique),
            _strings(table),
            max_rows,
            concurrency,
        )

    @property
    def lake(self) -> str | None:
        """The lake folder, if the connection opened one."""
        lake = self._native.lake
        return None if lake is None else os.fspath(lake)

    @property
    def now(self) -> str | None:
        """The pinned query clock as given (RFC 3339), or None for the wall clock."""
        return self._native.now

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def __repr__(self) -> str:
        return repr(self._native)


def connect(
    lake: StrPath | None = None,
    *,
    now: str | _dt.datetime | None = None,
    memory_limit: int | str | None = None,
    schemas: StrPath | None = None,
    threads: int | None = None,
    allow_network: bool = False,
    externaldata_mirror: StrPath | None = None,
    externaldata_dirs: Sequence[StrPath] = (),
    skip_bad_files: bool = False,
) -> Connection:
    """Opens a KQL session over a Parquet lake.

    Args:
        lake: a folder in which each ``*.parquet`` file is a table named by its stem and each
            sub-folder of Parquet files (hive ``key=value/`` partitions allowed) a table named
            by the folder. None: no tables until you register some.
        now: pins ``now()`` and ``ago()`` for every query (an RFC 3339 string such as
            ``"2024-06-01T12:00:00Z"`` or a datetime; a naive datetime is UTC). Default: the
            wall clock, read once per query.
        memory_limit: caps the memory queries may use (bytes, or ``"512MiB"``, ``"4GB"``);
            large sorts and aggregations spill or fail beyond it.
        schemas: a folder of documented table schemas (one JSON file per table, as in
            ``shared/schema/tables``): string columns they type ``dynamic`` read as
            ``dynamic``; without a lake, the documented tables are registered empty so
            queries plan against them.
        threads: partitions a query runs on (default: one per core).
        allow_network: lets ``externaldata`` fetch ``http(s)://`` sources (30 s timeout,
            256 MiB at most each). Default: never.
        externaldata_mirror: a folder that serves each ``externaldata`` URL from
            ``<folder>/<host>/<path>`` (checked before the network).
        externaldata_dirs: folders ``externaldata`` may read local files from, besides the
            lake (whose folder is always allowed, and relative paths are read from).
        skip_bad_files: leave unreadable Parquet files (corrupt, truncated, not Parquet) out
            of their tables instead of failing the queries that read them;
            :meth:`Connection.skipped_files` names them.

    A table's files are opened the first time a query reads it (and again when they change),
    so an unreadable file fails only the queries that read its table, with a
    :class:`LakeError` naming the file.

    Raises:
        LakeError: the lake does not exist or cannot be listed.
        ValueError: ``now`` or ``memory_limit`` cannot be read.
    """
    return Connection(
        lake,
        now=now,
        memory_limit=memory_limit,
        schemas=schemas,
        threads=threads,
        allow_network=allow_network,
        externaldata_mirror=externaldata_mirror,
        externaldata_dirs=externaldata_dirs,
        skip_bad_files=skip_bad_files,
    )
