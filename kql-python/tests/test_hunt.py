"""The rule runner from Python, checked against the generator's ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kql_lake as kql
import polars as pl
import pytest


def test_builtin_seeds_match_ground_truth(con: kql.Connection, manifest: dict[str, Any]) -> None:
    report = con.hunt()
    table = report.to_arrow()
    assert table.num_rows == 4
    assert set(table.column("status").to_pylist()) == {"hits"}
    for rule in manifest["rules"]:
        if not rule["file"].startswith("seeds/") or rule["id"] not in table.column("id").to_pylist():
            continue
        rows = report.rows(rule["id"]).to_pylist()
        assert len(rows) == len(rule["rows"]), rule["name"]
        got = sorted((tuple(r[k] for k in rule["by"]), tuple(sorted(r["Report"])), r["Count"]) for r in rows)
        want = sorted(
            (tuple(r["keys"][k] for k in rule["by"]), tuple(sorted(r["Report"])), r["Count"])
            for r in rule["rows"]
        )
        assert got == want, rule["name"]


def test_corpus_filtered(con: kql.Connection, shared: Path, manifest: dict[str, Any]) -> None:
    report = con.hunt(rules=shared / "corpus" / "rmm-tools" / "rules", filter="anydesk")
    table = report.to_arrow()
    assert table.num_rows > 0
    assert all(
        "anydesk" in (n or "").lower() or "anydesk" in s.lower()
        for n, s in zip(table.column("name").to_pylist(), table.column("source").to_pylist(), strict=True)
    )
    expected = {
        r["id"]: r
        for r in manifest["rules"]
        if r["file"].startswith("rmm-tools/") and "anydesk" in r["file"].lower()
    }
    for row in table.to_pylist():
        want = expected.get(row["id"])
        if want is None or want["status"] not in ("hits", "no hits"):
            continue
        assert row["status"] == want["status"], row["name"]
        assert row["rows"] == len(want["rows"]), row["name"]
    counts = report.counts()
    assert sum(counts.values()) == len(report) == table.num_rows
    summary = report.summary()
    assert "rules:" in summary and "AnyDesk" in summary
    assert pl.DataFrame(report).height == table.num_rows
    lines = [json.loads(line) for line in report.to_jsonl().splitlines()]
    assert len(lines) == table.num_rows


def test_failed_rules_are_located(con: kql.Connection, tmp_path: Path) -> None:
    rule = tmp_path / "broken.yaml"
    rule.write_text(
        "id: 00000000-0000-0000-0000-000000000001\n"
        "name: Broken rule\n"
        "query: |\n"
        "  DeviceNetworkEvents\n"
        "  | where AccountUpn == 'x'\n"
    )
    (tmp_path / "unreadable.yaml").write_text("id: [unclosed\n")
    report = con.hunt(rules=tmp_path)
    rows = {r["source"].rsplit("/", 1)[-1]: r for r in report.to_arrow().to_pylist()}
    broken = rows["broken.yaml"]
    assert broken["status"] == "failed"
    assert (broken["error_line"], broken["error_column"]) == (5, 11)
    assert "AccountUpn" in broken["error"]
    assert rows["unreadable.yaml"]["status"] == "unreadable"
    assert report.counts()["unreadable"] == 1


def test_hunt_arguments(con: kql.Connection, tmp_path: Path) -> None:
    with pytest.raises(kql.KqlError, match="rules"):
        con.hunt(rules=tmp_path / "nothing-here")
    with pytest.raises(ValueError, match="concurrency"):
        con.hunt(concurrency=0)
    report = con.hunt(table="DeviceNetworkEvents", max_rows=1)
    table = report.to_arrow()
    assert table.num_rows == 1
    assert report.rows(table.column("id")[0].as_py()).num_rows == 1
    assert table.column("truncated").to_pylist() == [True]
    with pytest.raises(KeyError):
        report.rows("no such rule")
