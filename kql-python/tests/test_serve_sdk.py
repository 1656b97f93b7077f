"""`kql serve` with a client nobody here wrote: Microsoft's Python SDK (azure-kusto-data) against
a server started on a loopback port over the generated lake. Types round-trip through
`dataframe_from_result_table`, streaming and buffered queries give what `kql query` gives, errors
arrive as `KustoApiError` with our located message, management commands, client request
properties (sent as a JSON string by the SDK), gzip, a bearer token, and a load of 50 concurrent
clients."""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from azure.kusto.data import ClientRequestProperties, KustoClient, KustoConnectionStringBuilder
from azure.kusto.data.exceptions import KustoApiError, KustoMultiApiError, KustoServiceError
from azure.kusto.data.helpers import dataframe_from_result_table
from conftest import NOW, REPO, kql_binary


def start_server(lake: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """Starts `kql serve` on a free loopback port; returns the process and its URL."""
    proc = subprocess.Popen(
        [
            str(kql_binary()),
            "serve",
            "--lake",
            str(lake),
            "--database",
            "lake",
            "--bind",
            "127.0.0.1:0",
            "--now",
            NOW,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline() if ready else ""
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        pytest.fail(f"kql serve did not start: {line!r} {err}")
    return proc, match.group(1)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


SERVERS: dict[str, int] = {}


@pytest.fixture(scope="module")
def url(lake: Path) -> Iterator[str]:
    proc, address = start_server(lake)
    SERVERS[address] = proc.pid
    yield address
    stop(proc)


@pytest.fixture()
def client(url: str) -> KustoClient:
    return KustoClient(KustoConnectionStringBuilder.with_no_authentication(url))


def seed_hunts() -> dict[str, str]:
    """The four built-in seed hunts' KQL, from their rule files (`query: |` blocks)."""
    hunts: dict[str, str] = {}
    for path in sorted((REPO / "rmm-rules" / "builtin").glob("*.yaml")):
        lines = path.read_text().splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("query: |"))
        body: list[str] = []
        for line in lines[start + 1 :]:
            if line and not line.startswith(" "):
                break
            body.append(line[2:] if line.startswith("  ") else line)
        hunts[path.stem] = "\n".join(body)
    return hunts


def normal(value: Any) -> Any:
    """A value comparable across the wire and `kql query --format json`: datetimes as
    timestamps, lists and rows in a fixed order."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", value):
        return pd.Timestamp(value)
    if isinstance(value, list):
        return sorted((normal(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: normal(v) for k, v in sorted(value.items())}
    return value


def kql_query(lake: Path, text: str) -> list[list[Any]]:
    out = subprocess.run(
        [str(kql_binary()), "query", "--lake", str(lake), "--now", NOW, "--format", "json", text],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out)
    rows = data[0] if data and isinstance(data[0], list) else data
    return sorted(([normal(v) for v in row.values()] for row in rows), key=repr)


def test_every_type_round_trips(client: KustoClient) -> None:
    text = (
        "print b=true, i=int(3), l=5, r=2.5, d=decimal(1.5), s='x', e=tostring(dynamic(null)), "
        "t=datetime(2024-01-02 03:04:05.1234567), ts=1d+2h+3.5s, dy=dynamic({'a':[1,2]}), n=real(null), "
        "nan=real(nan), inf=real(+inf), g=toguid('8f2b1a36-7c1e-4b3e-9a51-0d7f2c4e6b10')"
    )
    table = client.execute_query("lake", text).primary_results[0]
    types = [(c.column_name, c.column_type) for c in table.columns]
    assert types == [
        ("b", "bool"),
        ("i", "int"),
        ("l", "long"),
        ("r", "real"),
        ("d", "decimal"),
        ("s", "string"),
        ("e", "string"),
        ("t", "datetime"),
        ("ts", "timespan"),
        ("dy", "dynamic"),
        ("n", "real"),
        ("nan", "real"),
        ("inf", "real"),
        ("g", "string"),
    ]
    df = dataframe_from_result_table(table)
    row = df.iloc[0]
    assert row["b"] is True or row["b"] == True  # noqa: E712 (numpy bool)
    assert row["i"] == 3 and row["l"] == 5 and row["r"] == 2.5 and row["d"] == 1.5
    assert row["s"] == "x" and row["e"] == ""
    assert row["t"] == pd.Timestamp("2024-01-02T03:04:05.1234567Z")
    assert row["ts"] == pd.Timedelta(days=1, hours=2, seconds=3.5)
    assert row["dy"] == {"a": [1, 2]}
    assert pd.isna(row["n"]) and pd.isna(row["nan"]) and row["inf"] == float("inf")
    assert row["g"] == "8f2b1a36-7c1e-4b3e-9a51-0d7f2c4e6b10"


@pytest.mark.parametrize("name", sorted(seed_hunts()))
def test_seed_hunts_give_what_kql_query_gives(client: KustoClient, lake: Path, name: str) -> None:
    text = seed_hunts()[name]
    expected = kql_query(lake, text)
    assert expected, f"{name} finds nothing on the generated lake"
    buffered = client.execute_query("lake", text).primary_results[0]
    assert sorted(([normal(v) for v in r] for r in buffered.raw_rows), key=repr) == expected
    streamed = client.execute_streaming_query("lake", text)
    firsts = sorted(str(row[0]) for table in streamed.iter_primary_results() for row in table)
    assert firsts == sorted(str(r[0]) for r in buffered.raw_rows)


def test_errors_are_kusto_api_errors_with_our_message(client: KustoClient) -> None:
    with pytest.raises(KustoApiError) as err:
        client.execute_query("lake", "DeviceProcessEvents | where NoSuchColumn == 1")
    message = str(err.value)
    assert "unknown column or name `NoSuchColumn`" in message
    assert "1:29" in message
    with pytest.raises(KustoApiError):
        client.execute_query("elsewhere", "print 1")


def test_row_limit_is_reported(client: KustoClient) -> None:
    props = ClientRequestProperties()
    props.set_option("truncationmaxrecords", 10)
    with pytest.raises(KustoMultiApiError) as err:
        client.execute_query("lake", "DeviceProcessEvents | take 100", props)
    assert "E_QUERY_RESULT_SET_TOO_LARGE" in str(err.value)


def test_management_commands(client: KustoClient) -> None:
    tables = [row[0] for row in client.execute_mgmt("lake", ".show tables").primary_results[0]]
    assert "DeviceProcessEvents" in tables and "DeviceInfo" in tables
    schema = client.execute_mgmt("lake", ".show database lake schema as json").primary_results[0]
    parsed = json.loads(schema.raw_rows[0][0])
    columns = parsed["Databases"]["lake"]["Tables"]["DeviceInfo"]["OrderedColumns"]
    assert {"Name": "Timestamp", "Type": "System.DateTime", "CslType": "datetime"} in columns
    assert client.execute_mgmt("lake", ".show databases").primary_results[0].raw_rows[0][0] == "lake"


def test_request_properties_arrive_as_a_json_string(client: KustoClient) -> None:
    props = ClientRequestProperties()
    props.set_option("query_now", "2024-01-01T00:00:00Z")
    props.set_parameter("who", "x")
    text = "declare query_parameters(who:string); print now(), who"
    row = client.execute_query("lake", text, props).primary_results[0].raw_rows[0]
    assert row == ["2024-01-01T00:00:00.0000000Z", "x"]


def test_answers_are_gzipped(url: str) -> None:
    r = requests.post(
        f"{url}/v2/rest/query",
        json={"db": "lake", "csl": "DeviceProcessEvents | take 200"},
        headers={"Accept-Encoding": "gzip"},
        timeout=60,
    )
    assert r.status_code == 200
    assert r.headers.get("Content-Encoding") == "gzip"
    frames = r.json()
    assert frames[0]["FrameType"] == "DataSetHeader"
    assert frames[-1] == {"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False}


def test_bearer_token(lake: Path, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    proc, address = start_server(lake, "--token", str(token))
    try:
        good = KustoClient(KustoConnectionStringBuilder.with_token_provider(address, lambda: "s3cret"))
        assert good.execute_query("lake", "print 1").primary_results[0].raw_rows == [[1]]
        with pytest.raises(KustoServiceError):
            KustoClient(KustoConnectionStringBuilder.with_no_authentication(address)).execute_query(
                "lake", "print 1"
            )
    finally:
        stop(proc)


KQLMAGIC = """
import sys
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "Kqlmagic")
ip.run_line_magic("config", "Kqlmagic.auto_dataframe=True")
ip.run_line_magic("config", "Kqlmagic.auto_popup_schema=False")
ip.run_line_magic("config", "Kqlmagic.short_errors=False")
connect = f"azuredataexplorer://anonymous;cluster='{sys.argv[1]}';database='lake'"
n = ip.run_line_magic("kql", connect + " DeviceInfo | count")
rows = ip.run_line_magic("kql", "DeviceProcessEvents | take 3 | project DeviceName, Timestamp, ProcessId")
print(int(n.iloc[0, 0]), len(rows), list(rows.columns), str(rows["Timestamp"].dtype))
"""


def test_kqlmagic_connects_and_queries(url: str, lake: Path, tmp_path: Path) -> None:
    """Kqlmagic's connect sequence (`.show` commands, a validation query, the schema) and two
    queries into DataFrames, in a separate process (it registers its own `%kql`)."""
    out = subprocess.run(
        [sys.executable, "-c", KQLMAGIC, url], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr[-3000:]
    devices = len(kql_query(lake, "DeviceInfo"))
    assert out.stdout.strip().splitlines()[-1] == (
        f"{devices} 3 ['DeviceName', 'Timestamp', 'ProcessId'] datetime64[ns, UTC]"
    ), out.stdout[-2000:]


def test_fifty_clients_at_once(url: str, lake: Path) -> None:
    """50 concurrent clients, each running the seed hunts in turn for 30 s: no error, and every
    answer the one `kql query` gives. With $KQL_LOAD_REPORT set, latency percentiles and the
    server's peak memory are written there."""
    hunts = seed_hunts()
    expected = {name: len(kql_query(lake, text)) for name, text in hunts.items()}
    deadline = time.monotonic() + 30

    def worker(_: int) -> tuple[int, list[float]]:
        c = KustoClient(KustoConnectionStringBuilder.with_no_authentication(url))
        done, latencies = 0, []
        while time.monotonic() < deadline:
            for name, text in hunts.items():
                started = time.monotonic()
                rows = c.execute_query("lake", text).primary_results[0].raw_rows
                latencies.append(time.monotonic() - started)
                assert len(rows) == expected[name], name
                done += 1
        return done, latencies

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(worker, range(50)))
    total = sum(done for done, _ in results)
    assert total >= 200
    report = os.environ.get("KQL_LOAD_REPORT")
    if report:
        latencies = sorted(t for _, ts in results for t in ts)

        def ms(q: float) -> int:
            return round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))])

        status = Path(f"/proc/{SERVERS[url]}/status").read_text()
        peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
        Path(report).write_text(
            f"queries {total} in 30 s ({total / 30:.1f}/s); latency p50 {ms(0.5)} ms, p95 {ms(0.95)} ms, "
            f"p99 {ms(0.99)} ms; server peak RSS {int(peak) // 1024} MiB\n"
        )
