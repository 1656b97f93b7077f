"""Every error class, with its location and the CLI's rendering."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kql_lake as kql
import pyarrow as pa
import pytest
from conftest import kql_binary


def test_hierarchy() -> None:
    assert issubclass(kql.KqlError, Exception)
    for cls in (kql.ParseError, kql.PlanError, kql.ExecutionError, kql.LakeError, kql.InternalError):
        assert issubclass(cls, kql.KqlError)
    assert issubclass(kql.NotSupportedError, kql.PlanError)
    assert kql.ParseError.__module__ == "kql_lake"


def test_parse_error_is_located_and_rendered_as_the_cli_does(con: kql.Connection, lake: Path) -> None:
    query = "DeviceNetworkEvents\n| wher RemoteUrl has 'x'"
    with pytest.raises(kql.ParseError) as info:
        con.query(query)
    e = info.value
    assert (e.line, e.column) == (2, 3)
    assert e.span is not None and query[e.span[0] : e.span[1]] == "wher"
    assert e.help == "did you mean `where`?"
    assert e.query == query
    assert str(e) == e.rendered
    cli = subprocess.run(
        [str(kql_binary()), "query", "--lake", str(lake), query], capture_output=True, text=True, check=False
    )
    assert cli.returncode == 1
    assert e.rendered == cli.stderr.strip()


def test_plan_error_suggests(con: kql.Connection) -> None:
    with pytest.raises(kql.PlanError) as info:
        con.query("DeviceNetworkEvents | where AccountUpn == 'x'")
    e = info.value
    assert not isinstance(e, kql.NotSupportedError)
    assert (e.line, e.column, e.span) == (1, 29, (28, 38))
    assert e.help == "did you mean `InitiatingProcessAccountUpn`?"
    assert "unknown column or name `AccountUpn`" in e.message
    assert "^" in e.rendered or "─" in e.rendered


def test_unknown_table(con: kql.Connection) -> None:
    with pytest.raises(kql.PlanError, match="DeviceNetworkEvent"):
        con.query("DeviceNetworkEvent | take 1")


def test_not_supported_is_a_plan_error(con: kql.Connection) -> None:
    with pytest.raises(kql.NotSupportedError) as info:
        con.query("DeviceNetworkEvents | project x = hash_combine(1, 2)")
    assert info.value.line == 1
    assert "not supported yet" in info.value.message


def test_spans_count_characters_not_bytes() -> None:
    con = kql.connect()
    con.register("T", pa.table({"x": [1]}))
    query = "T | extend é = 'ü' | where nope == 1"
    with pytest.raises(kql.PlanError) as info:
        con.query(query)
    span = info.value.span
    assert span is not None and query[span[0] : span[1]] == "nope"


def test_execution_error(tmp_path: Path) -> None:
    path = tmp_path / "T.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": list(range(100))}), path)
    con = kql.connect(tmp_path)
    res = con.query("T | summarize sum(x)")
    path.write_bytes(b"not parquet any more")
    with pytest.raises(kql.ExecutionError) as info:
        res.to_arrow()
    assert info.value.line is None
    assert "parquet" in str(info.value).lower()


def test_memory_limit_is_an_execution_error(lake: Path) -> None:
    con = kql.connect(lake, memory_limit="1MiB")
    with pytest.raises(kql.ExecutionError, match=r"(?i)resources exhausted|memory"):
        con.query("DeviceNetworkEvents | sort by InitiatingProcessCommandLine asc").to_arrow()


def test_lake_errors(tmp_path: Path) -> None:
    with pytest.raises(kql.LakeError, match="does not exist"):
        kql.connect(tmp_path / "missing")
    (tmp_path / "Bad.parquet").write_bytes(b"PAR1 this is not a parquet file")
    # Tables are opened when a query reads them: the error names the file then.
    con = kql.connect(tmp_path)
    with pytest.raises(kql.LakeError, match=r"Bad\.parquet: truncated"):
        con.query("Bad | count")


def test_bad_files_can_be_skipped(lake: Path, tmp_path: Path) -> None:
    table = tmp_path / "Info"
    table.mkdir()
    good = (lake / "DeviceInfo.parquet").read_bytes()
    (table / "a.parquet").write_bytes(good)
    (table / "b.parquet").write_bytes(good[: len(good) // 2])
    with pytest.raises(kql.LakeError, match=r"b\.parquet: truncated.*--skip-bad-files"):
        kql.connect(tmp_path).query("Info | count")
    con = kql.connect(tmp_path, skip_bad_files=True)
    assert con.skipped_files() == []
    rows = con.query("Info | count").to_arrow().to_pylist()
    assert rows[0]["Count"] > 0
    skipped = con.skipped_files()
    assert [(t, Path(f).name) for t, f, _ in skipped] == [("Info", "b.parquet")]
    assert skipped[0][2].startswith("truncated")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        kql.connect(now="yesterday")
    with pytest.raises(ValueError, match="memory_limit"):
        kql.connect(memory_limit="lots")
    with pytest.raises(ValueError, match="threads"):
        kql.connect(threads=0)
    with pytest.raises(TypeError, match="now must be"):
        kql.connect(now=12)  # type: ignore[arg-type]
