"""The ``%kql`` / ``%%kql`` IPython magics (``%load_ext kql_lake``), in the manner of Kqlmagic.

.. code-block:: text

    %%kql --lake lake/ --now 2024-06-01T12:00:00Z -o hits
    DeviceNetworkEvents
    | where RemoteUrl has "atera.com"
    | summarize count() by DeviceName

The cell's result is displayed as a table (a pandas DataFrame, or polars/pyarrow with
``--as``) and bound to ``hits``. Later cells reuse the last connection, so ``--lake`` is needed
once; ``-c con`` uses a ``kql_lake`` connection from the notebook's own variables instead.
Errors are printed with the query line and a caret.
"""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._connection import Connection
from ._native import KqlError


@magics_class
class KqlMagics(Magics):
    """``%kql QUERY`` and ``%%kql`` cells."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self._connections: dict[tuple[str | None, str | None, str | None], Connection] = {}
        self._last: Connection | None = None

    def _connection(
        self, lake: str | None, now: str | None, schemas: str | None, name: str | None
    ) -> Connection:
        if name is not None:
            found = self.shell.user_ns.get(name) if self.shell is not None else None
            if not isinstance(found, Connection):
                raise ValueError(f"-c {name}: no kql_lake connection named `{name}` in this notebook")
            self._last = found
            return found
        if lake is None and schemas is None:
            if self._last is None:
                raise ValueError("no lake yet: give --lake DIR (or -c CONNECTION) once")
            return self._last
        key = (lake, now, schemas)
        if key not in self._connections:
            self._connections[key] = Connection(lake, now=now, schemas=schemas)
        self._last = self._connections[key]
        return self._last

    @magic_arguments()
    @argument("--lake", "-l", default=None, help="the lake folder (remembered for later cells)")
    @argument("--now", default=None, help="pin now() (RFC 3339, e.g. 2024-06-01T12:00:00Z)")
    @argument("--schemas", default=None, help="a folder of documented table schemas")
    @argument("--conn", "-c", default=None, help="use this kql_lake connection variable")
    @argument("--output", "-o", default=None, help="bind the result to this variable")
    @argument(
        "--as",
        dest="kind",
        choices=["pandas", "polars", "arrow"],
        default=None,
        help="the result's type (default: pandas if installed, else pyarrow)",
    )
    @argument("query", nargs="*", help="the query (or the cell's body)")
    @line_cell_magic
    def kql(self, line: str, cell: str | None = None) -> Any:
        """Runs a KQL query over a Parquet lake and shows the result."""
        args = parse_argstring(self.kql, line)
        text = cell if cell is not None else " ".join(args.query)
        if not text.strip():
            print("kql: no query", file=sys.stderr)
            return None
        try:
            con = self._connection(args.lake, args.now, args.schemas, args.conn)
            result = con.query(text)
            value = _convert(result, args.kind)
        except KqlError as e:
            print(str(e), file=sys.stderr)
            return None
        except ValueError as e:
            print(f"kql: {e}", file=sys.stderr)
            return None
        if args.output and self.shell is not None:
            self.shell.user_ns[args.output] = value
        return value


def _convert(result: Any, kind: str | None) -> Any:
    if kind == "arrow":
        return result.to_arrow()
    if kind == "polars":
        return result.to_polars()
    if kind == "pandas":
        return result.to_pandas()
    try:
        import pandas  # noqa: F401
    except ImportError:
        return result.to_arrow()
    return result.to_pandas()
