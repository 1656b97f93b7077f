"""The README's quick start, checked against the generator's ground truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import kql_lake as kql
import pyarrow as pa
import pytest

ATERA_NETWORK = """
let Time_start = now(-5d);
let Time_end = now();
DeviceNetworkEvents
| where Timestamp between (Time_start..Time_end)
| where RemoteUrl has_any ('atera.com', 'atera-agent-heartbeat')
    and InitiatingProcessVersionInfoCompanyName has 'Atera Networks'
| summarize FirstSeen=min(Timestamp), LastSeen=max(Timestamp),
    Report=make_set(ReportId), Count=count() by DeviceId, DeviceName, RemoteUrl
"""


def expected_rows(manifest: dict[str, Any], rule_id: str) -> list[dict[str, Any]]:
    rule = next(r for r in manifest["rules"] if r["id"] == rule_id and r["file"].startswith("seeds/"))
    rows: list[dict[str, Any]] = rule["rows"]
    return rows


def as_ground_truth(table: pa.Table, by: list[str]) -> list[tuple[Any, ...]]:
    """Rows as (keys..., FirstSeen, LastSeen, sorted Report, Count), sorted."""
    out = []
    for row in table.to_pylist():
        keys = tuple(row[k] for k in by)
        first = row["FirstSeen"].strftime("%Y-%m-%dT%H:%M:%SZ")
        last = row["LastSeen"].strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append((*keys, first, last, tuple(sorted(row["Report"])), row["Count"]))
    return sorted(out)


def manifest_truth(rows: list[dict[str, Any]], by: list[str]) -> list[tuple[Any, ...]]:
    return sorted(
        (*(r["keys"][k] for k in by), r["FirstSeen"], r["LastSeen"], tuple(sorted(r["Report"])), r["Count"])
        for r in rows
    )


def test_quick_start_query_matches_ground_truth(con: kql.Connection, manifest: dict[str, Any]) -> None:
    res = con.query(ATERA_NETWORK)
    assert res.columns == ["DeviceId", "DeviceName", "RemoteUrl", "FirstSeen", "LastSeen", "Report", "Count"]
    by = ["DeviceId", "DeviceName", "RemoteUrl"]
    truth = manifest_truth(expected_rows(manifest, "774bb5a8-c93b-4fa1-8ebf-4053b99622ed"), by)
    assert truth, "the generator plants Atera network connections"
    assert as_ground_truth(res.to_arrow(), by) == truth


def test_polars_and_pandas_give_the_same_rows(con: kql.Connection) -> None:
    res = con.query(ATERA_NETWORK + "| sort by DeviceId asc, RemoteUrl asc")
    table = res.to_arrow()
    pl_df = res.to_polars()
    pd_df = res.to_pandas()
    assert pl_df.shape == (table.num_rows, table.num_columns)
    assert pd_df.shape == (table.num_rows, table.num_columns)
    assert pl_df["DeviceId"].to_list() == table.column("DeviceId").to_pylist()
    assert pd_df["Count"].tolist() == table.column("Count").to_pylist()


def test_datetimes_are_utc_and_timespans_durations(con: kql.Connection) -> None:
    res = con.query(
        "DeviceNetworkEvents | take 3 | project Timestamp, Age = datetime(2024-06-02) - Timestamp"
    )
    schema = res.schema
    assert schema.field("Timestamp").type.tz == "UTC"
    assert pa.types.is_duration(schema.field("Age").type)
    pd_df = res.to_pandas()
    assert str(pd_df["Timestamp"].dt.tz) == "UTC"
    assert str(pd_df["Age"].dtype).startswith("timedelta64")
    first = res.to_arrow().column("Timestamp")[0].as_py()
    assert first.tzinfo is not None and first.utcoffset() == dt.timedelta(0)


def test_connect_takes_a_datetime_clock(lake: Any) -> None:
    con = kql.connect(lake, now=dt.datetime(2024, 6, 1, 12, 0, 0))
    row = con.query("print t = now()").to_arrow().to_pylist()[0]
    assert row["t"] == dt.datetime(2024, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def test_tables_schema_and_repr(con: kql.Connection) -> None:
    assert "DeviceNetworkEvents" in con.tables()
    schema = con.schema("DeviceNetworkEvents")
    assert schema["Timestamp"] == "datetime"
    assert schema["RemoteUrl"] == "string"
    assert schema["ReportId"] == "long"
    with pytest.raises(KeyError, match="did you mean `DeviceNetworkEvents`"):
        con.schema("devicenetworkevents")
    assert "tables=6" in repr(con)
    assert con.now == "2024-06-01T12:00:00Z"


def test_explain(con: kql.Connection) -> None:
    text = con.explain("DeviceNetworkEvents | where RemoteUrl has 'atera.com' | count")
    assert "logical plan:" in text and "physical plan:" in text
    analyzed = con.explain("DeviceNetworkEvents | where RemoteUrl has 'atera.com' | count", analyze=True)
    assert "output_rows" in analyzed


def test_several_statements(con: kql.Connection) -> None:
    results = con.query_all("print a = 1; print b = 'x'")
    assert [r.to_arrow().to_pylist() for r in results] == [[{"a": 1}], [{"b": "x"}]]
    assert con.query("print a = 1; print b = 'x'").columns == ["b"]
    legs = con.query_all("range x from 1 to 3 step 1 | fork Small = (where x < 2) (count)")
    assert [r.name for r in legs] == ["Small", None]


def test_help_is_useful() -> None:
    assert kql.connect.__doc__ is not None and "now" in kql.connect.__doc__
    assert kql.Connection.hunt.__doc__ is not None and "filter" in kql.Connection.hunt.__doc__
    assert kql.QueryResult.to_arrow.__doc__


def test_documented_schemas_without_a_lake(shared: Path) -> None:
    con = kql.connect(schemas=shared / "schema" / "tables")
    assert "DeviceEvents" in con.tables()
    assert con.schema("DeviceEvents")["AdditionalFields"] == "dynamic"
    res = con.query("DeviceEvents | where AdditionalFields.Command has 'powershell' | count")
    assert res.to_arrow().to_pylist() == [{"Count": 0}]
