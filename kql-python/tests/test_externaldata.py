"""`externaldata` from Python: the lake's folder, allowed folders, the URL mirror, and the
network only when allowed."""

from __future__ import annotations

from pathlib import Path

import kql_lake as kql
import pytest


def test_files_under_the_lake_and_allowed_folders(lake: Path, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("DeviceName,Risk\ndevice-1,3\ndevice-2,5\n")
    (lake / "local.txt").write_text("a\nb\n")
    with kql.connect(lake) as con:
        rows = con.query("externaldata(s:string)['local.txt'] | count").to_arrow().to_pylist()
        assert rows == [{"Count": 2}]
        with pytest.raises(kql.PlanError, match="may not read"):
            con.query(f"externaldata(s:string)[@'{feed}']")
    with kql.connect(lake, externaldata_dirs=[tmp_path]) as con:
        table = con.query(
            f"externaldata(DeviceName:string, Risk:long)[@'{feed}'] with (ignoreFirstRecord=true)"
            " | summarize sum(Risk)"
        ).to_arrow()
        assert table.to_pylist() == [{"sum_Risk": 8}]


def test_mirror_serves_urls_and_the_network_is_off_by_default(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "feeds.example.org").mkdir(parents=True)
    (mirror / "feeds.example.org" / "tor.txt").write_text("10.0.0.1\n10.0.0.2\n")
    q = "externaldata(ip:string)[@'https://feeds.example.org/tor.txt'] with (format=txt) | count"
    with kql.connect() as con, pytest.raises(kql.PlanError, match="allow-network"):
        con.query(q)
    with kql.connect(externaldata_mirror=mirror) as con:
        assert con.query(q).to_arrow().to_pylist() == [{"Count": 2}]
    with pytest.raises(ValueError, match="not a folder"):
        kql.connect(externaldata_mirror=tmp_path / "missing")


def test_query_parameters(tmp_path: Path) -> None:
    import datetime as dt

    q = (
        "declare query_parameters(n:long = 1, since:datetime, span:timespan = 1h, ok:bool = false);"
        " range x from 1 to 3 step 1 | where x > n | project x, since, span, ok"
    )
    with kql.connect() as con:
        rows = (
            con.query(
                q,
                parameters={
                    "n": 2,
                    "since": dt.datetime(2024, 6, 1, 12, 0),
                    "span": dt.timedelta(days=1, hours=2),
                    "ok": True,
                },
            )
            .to_arrow()
            .to_pylist()
        )
        assert len(rows) == 1 and rows[0]["x"] == 3 and rows[0]["ok"] is True
        assert rows[0]["since"] == dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc)
        assert rows[0]["span"] == dt.timedelta(days=1, hours=2)
        with pytest.raises(kql.PlanError, match="has no value"):
            con.query(q)
        with pytest.raises(TypeError, match="query parameter 'n'"):
            con.query(q, parameters={"n": [1]})  # type: ignore[dict-item]


def test_render_gives_the_visualization() -> None:
    with kql.connect() as con:
        res = con.query(
            "range x from 1 to 3 step 1 | extend y = x * 2"
            " | render timechart with (title='Doubling', ycolumns=y)"
        )
        v = res.visualization
        assert v is not None
        assert v["Visualization"] == "timechart"
        assert v["Title"] == "Doubling" and v["YColumns"] == "y"
        assert res.to_arrow().num_rows == 3
        assert con.query("print 1").visualization is None
