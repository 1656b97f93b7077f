"""KQL (Kusto Query Language) hunting queries, verbatim, over Parquet lakes.

>>> import kql_lake as kql
>>> con = kql.connect("lake/", now="2024-06-01T12:00:00Z")
>>> res = con.query("DeviceNetworkEvents | where RemoteUrl has 'atera.com' | take 10")
>>> res.to_polars()          # or to_arrow(), to_pandas(), pyarrow.table(res), for batch in res

Queries run in Rust (DataFusion) with the GIL released; Ctrl-C cancels a running query.
Results cross into Python through the Arrow C interfaces without copying. Errors are
:class:`KqlError` subclasses carrying ``line``, ``column``, ``span`` and ``rendered`` (the
message drawn with the source line and a caret, as the ``kql`` CLI prints it).

In IPython or Jupyter, ``%load_ext kql_lake`` adds the ``%%kql`` cell magic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._connection import Connection, connect
from ._native import (
    BatchIterator,
    ExecutionError,
    HuntReport,
    InternalError,
    KqlError,
    LakeError,
    NotSupportedError,
    ParseError,
    PlanError,
    QueryResult,
    __version__,
)

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = [
    "BatchIterator",
    "Connection",
    "ExecutionError",
    "HuntReport",
    "InternalError",
    "KqlError",
    "LakeError",
    "NotSupportedError",
    "ParseError",
    "PlanError",
    "QueryResult",
    "__version__",
    "connect",
    "load_ipython_extension",
]


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Registers the ``%kql`` and ``%%kql`` magics (``%load_ext kql_lake``)."""
    from .magic import KqlMagics

    ipython.register_magics(KqlMagics)
