"""Results into pyarrow, polars, pandas and DuckDB without copies; streaming; every kind of
Python frame registered as a table."""

from __future__ import annotations

import json
from pathlib import Path

import kql_lake as kql
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest


def buffer_address(table: pa.Table, column: str) -> int:
    chunk = table.column(column).chunk(0)
    address: int = chunk.buffers()[1].address
    return address


def test_register_and_read_back_share_buffers() -> None:
    con = kql.connect()
    source = pa.table({"x": pa.array(range(10_000), pa.int64()), "y": pa.array([1.5] * 10_000)})
    con.register("T", source)
    out = con.query("T").to_arrow()
    assert out.column("x").to_pylist() == source.column("x").to_pylist()
    # The engine hands back the very buffers Python gave it: no copy in, none out.
    assert buffer_address(out, "x") == buffer_address(source, "x")
    assert buffer_address(pa.table(con.query("T")), "y") == buffer_address(source, "y")


def test_polars_reads_the_stream_without_pyarrow_copies() -> None:
    con = kql.connect()
    source = pa.table({"x": pa.array(range(1000), pa.int64())})
    con.register("T", source)
    df = pl.DataFrame(con.query("T"))
    assert df.shape == (1000, 1)
    assert df["x"].to_arrow().buffers()[1].address == buffer_address(source, "x")


def test_pandas_from_arrow_and_duckdb_read_results() -> None:
    con = kql.connect()
    con.register("T", pa.table({"x": [3, 1, 2], "s": ["c", "a", "b"]}))
    res = con.query("T | sort by x asc")
    assert pd.DataFrame.from_arrow(res)["s"].tolist() == ["a", "b", "c"]
    duckdb = pytest.importorskip("duckdb")
    res2 = con.query("T | where x > 1")  # noqa: F841 (DuckDB finds it by name)
    assert duckdb.sql("select sum(x) as s from res2").fetchall() == [(5,)]


def test_to_arrow_runs_once_and_is_kept(con: kql.Connection) -> None:
    res = con.query("DeviceNetworkEvents | project ReportId | take 100")
    first = res.to_arrow()
    second = res.to_arrow()
    assert buffer_address(first, "ReportId") == buffer_address(second, "ReportId")
    assert first.num_rows == 100
    assert "100 rows" in repr(res)


def test_streaming_batches(con: kql.Connection) -> None:
    total = con.query("DeviceNetworkEvents | count").to_arrow().to_pylist()[0]["Count"]
    assert total > 20_000, "background rows and planted ones"
    res = con.query("DeviceNetworkEvents | project ReportId")
    batches = list(res)
    assert len(batches) > 1, "20,000 rows come in several batches"
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert sum(b.num_rows for b in batches) == total
    assert "rows" not in repr(res), "iterating does not collect"
    reader = pa.RecordBatchReader.from_stream(con.query("DeviceNetworkEvents | project ReportId"))
    assert reader.read_all().num_rows == total


def test_iterator_is_single_use(con: kql.Connection) -> None:
    it = iter(con.query("print a = 1"))
    assert next(it).num_rows == 1
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(RuntimeError, match="finished"):
        next(it)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda t: t, id="pyarrow-table"),
        pytest.param(lambda t: t.to_batches()[0], id="pyarrow-batch"),
        pytest.param(
            lambda t: pa.RecordBatchReader.from_batches(t.schema, t.to_batches()), id="pyarrow-reader"
        ),
        pytest.param(lambda t: pl.from_arrow(t), id="polars"),
        pytest.param(lambda t: t.to_pandas(), id="pandas"),
        pytest.param(lambda t: pd.DataFrame({"n": [1, 2, 3], "s": ["a", None, "c"]}), id="pandas-object"),
    ],
)
def test_register_each_kind_of_frame(make: object) -> None:
    con = kql.connect()
    table = pa.table({"n": pa.array([1, 2, 3], pa.int64()), "s": pa.array(["a", None, "c"])})
    con.register("Alerts", make(table))  # type: ignore[operator]
    rows = con.query("Alerts | where n >= 2 | sort by n asc | project n, s").to_arrow().to_pylist()
    # KQL strings are never null: a null string reads as "".
    assert rows == [{"n": 2, "s": ""}, {"n": 3, "s": "c"}]


def test_register_replaces_and_chains_results() -> None:
    con = kql.connect()
    con.register("T", pa.table({"x": [1, 2, 3]}))
    con.register("T", pa.table({"x": [10, 20]}))
    assert con.query("T | count").to_arrow().to_pylist() == [{"Count": 2}]
    con.register("U", con.query("T | extend y = x * 2"))
    assert con.query("U | summarize sum(y)").to_arrow().to_pylist() == [{"sum_y": 60}]


def test_register_rejects_what_is_not_a_frame() -> None:
    con = kql.connect()
    with pytest.raises(TypeError, match="cannot register a dict"):
        con.register("T", {"x": [1]})
    with pytest.raises(ValueError, match="empty"):
        con.register(" ", pa.table({"x": [1]}))


def test_dynamic_in_and_out() -> None:
    con = kql.connect()
    bags = pa.array(['{"Command":"powershell -enc","Count":3}', '{"Command":"cmd","Count":1}'], pa.json_())
    con.register("Events", pa.table({"AdditionalFields": bags}))
    res = con.query(
        "Events | where AdditionalFields.Command has 'powershell'"
        " | project AdditionalFields, n = toint(AdditionalFields.Count), b = bag_pack('k', 1)"
    )
    field = res.schema.field("b")
    assert field.type == pa.json_() or field.metadata == {
        b"ARROW:extension:name": b"arrow.json",
        b"ARROW:extension:metadata": b"",
    }
    row = res.to_arrow().to_pylist()[0]
    assert json.loads(row["b"]) == {"k": 1}
    assert row["n"] == 3
    assert json.loads(row["AdditionalFields"])["Count"] == 3
    assert pl.DataFrame(res).height == 1
    assert res.to_pandas()["n"].tolist() == [3]


def test_register_parquet(lake: Path, tmp_path: Path) -> None:
    con = kql.connect()
    con.register_parquet("Net", f"{lake}/DeviceNetworkEvents.parquet")
    total = kql.connect(lake).query("DeviceNetworkEvents | count").to_arrow().to_pylist()
    assert con.query("Net | count").to_arrow().to_pylist() == total
    with pytest.raises(kql.LakeError, match="does not exist"):
        con.register_parquet("Nope", f"{tmp_path}/missing.parquet")
