"""Type stubs of the Rust extension module ``kql_lake._native``."""

from collections.abc import Iterator
from typing import Any

import pandas
import polars
import pyarrow

__version__: str

class KqlError(Exception):
    """Any error raised by kql_lake.

    Errors about a place in the query carry its ``line`` and ``column`` (1-based), ``span``
    (character offsets into ``query``), ``help``, and ``rendered`` (the message drawn with the
    source line and a caret, as the ``kql`` CLI prints it; also ``str(error)``).
    """

    message: str
    rendered: str
    query: str
    line: int | None
    column: int | None
    span: tuple[int, int] | None
    help: str | None

class ParseError(KqlError):
    """The query text is not valid KQL."""

class PlanError(KqlError):
    """Valid KQL, wrong for these tables (an unknown table or column, a type error)."""

class NotSupportedError(PlanError):
    """KQL that kql_lake does not run yet."""

class ExecutionError(KqlError):
    """Running the query failed (reading files, executing the plan)."""

class LakeError(KqlError):
    """A lake, table or file could not be registered or read."""

class InternalError(KqlError):
    """A bug in kql_lake."""

class QueryResult:
    """The result of one KQL statement; it runs when first read."""

    @property
    def schema(self) -> pyarrow.Schema:
        """The result's Arrow schema (datetimes UTC, ``dynamic`` as ``arrow.json``)."""
    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
    @property
    def query(self) -> str:
        """The KQL text this result comes from."""
    @property
    def name(self) -> str | None:
        """The result's name when the query gives one (a ``fork`` leg's), else None."""
    @property
    def visualization(self) -> dict[str, Any] | None:
        """The statement's ``render`` as Kusto describes it (``{"Visualization": "timechart",
        "Title": ..., ...}``), or None."""
    def to_arrow(self) -> pyarrow.Table:
        """Runs the query (once; later reads reuse the rows) as a ``pyarrow.Table``."""
    def to_polars(self) -> polars.DataFrame:
        """``to_arrow()`` as a ``polars.DataFrame``."""
    def to_pandas(self) -> pandas.DataFrame:
        """``to_arrow()`` as a ``pandas.DataFrame``."""
    def __iter__(self) -> BatchIterator:
        """Streams ``pyarrow.RecordBatch``es without collecting the result."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream interface."""

class BatchIterator(Iterator[pyarrow.RecordBatch]):
    """The batches of a running query."""

    def __iter__(self) -> BatchIterator: ...
    def __next__(self) -> pyarrow.RecordBatch: ...

class HuntReport:
    """The outcome of ``Connection.hunt``: one row per rule."""

    def summary(self) -> str:
        """The rules' statuses, rows, rows scanned and times, then the failures."""
    def to_arrow(self) -> pyarrow.Table:
        """One row per rule: id, name, source, status, rows, truncated, rows_scanned,
        elapsed, missing_tables, error, error_line, error_column."""
    def rows(self, rule: str) -> pyarrow.Table:
        """The rows a rule returned, by rule id or name."""
    def counts(self) -> dict[str, int]:
        """Rules per status: hits, no_hits, skipped, failed, unreadable."""
    def to_jsonl(self) -> str:
        """One JSON object per rule, a line each."""
    def __len__(self) -> int: ...
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...

class Connection:
    """The native session; use ``kql_lake.connect``."""

    def __init__(
        self,
        lake: str | None = None,
        *,
        now: str | None = None,
        memory_limit: int | str | None = None,
        schemas: str | None = None,
        threads: int | None = None,
        allow_network: bool = False,
        externaldata_mirror: str | None = None,
        externaldata_dirs: list[str] = ...,
        skip_bad_files: bool = False,
    ) -> None: ...
    def skipped_files(self) -> list[tuple[str, str, str]]: ...
    def query(self, kql: str, parameters: dict[str, str] = ...) -> QueryResult: ...
    def query_all(self, kql: str, parameters: dict[str, str] = ...) -> list[QueryResult]: ...
    def explain(self, kql: str, analyze: bool = False) -> str: ...
    def register(self, name: str, data: Any) -> None: ...
    def register_parquet(self, name: str, path: str) -> None: ...
    def tables(self) -> list[str]: ...
    def schema(self, table: str) -> list[tuple[str, str]]: ...
    def _hunt(
        self,
        rules: list[str],
        builtin: bool,
        filters: list[str],
        tactics: list[str],
        techniques: list[str],
        tables: list[str],
        max_rows: int | None,
        concurrency: int | None,
    ) -> HuntReport: ...
    @property
    def lake(self) -> str | None: ...
    @property
    def now(self) -> str | None: ...
