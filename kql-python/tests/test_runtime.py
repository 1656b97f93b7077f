"""The GIL is released while queries run; Ctrl-C cancels; threads share a connection."""

from __future__ import annotations

import _thread
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import kql_lake as kql
import pytest

ENDLESS = "range x from 1 to 100000000000000 step 1 | summarize count()"


@pytest.fixture(autouse=True)
def sigint_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt even when the tests run where SIGINT is ignored (a
    background job of a non-interactive shell), as `_thread.interrupt_main` needs."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_cancels_a_running_query() -> None:
    con = kql.connect()
    timer = threading.Timer(0.5, _thread.interrupt_main)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            con.query(ENDLESS).to_arrow()
    finally:
        timer.cancel()
    assert time.monotonic() - started < 3.0, "interrupted within a second or so"
    # The connection still works after the cancelled query.
    assert con.query("print a = 1").to_arrow().to_pylist() == [{"a": 1}]


def test_ctrl_c_cancels_streaming() -> None:
    con = kql.connect()
    res = con.query("range x from 1 to 100000000000000 step 1 | where x % 1000000007 == 0 | take 1000000")
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in res:
                pass
    finally:
        timer.cancel()


def test_the_gil_is_released_while_a_query_runs() -> None:
    con = kql.connect()
    done = threading.Event()

    def run() -> None:
        con.query("range x from 1 to 30000000 step 1 | summarize count()").to_arrow()
        done.set()

    worker = threading.Thread(target=run)
    started = time.monotonic()
    worker.start()
    spins = 0
    while not done.is_set() and time.monotonic() - started < 60:
        spins += 1
        time.sleep(0.001)
    worker.join()
    assert done.is_set()
    # With the GIL held by the query, the main thread could not have spun at all.
    assert spins > 20


def test_threads_share_one_connection(con: kql.Connection) -> None:
    queries = [
        "DeviceNetworkEvents | where RemoteUrl has 'atera.com' | count",
        "DeviceProcessEvents | summarize n = dcount(DeviceId)",
        "DeviceFileEvents | count",
        "DeviceInfo | summarize n = count() by OSPlatform | sort by OSPlatform asc",
    ] * 4
    expected = [con.query(q).to_arrow().to_pylist() for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda q: con.query(q).to_arrow().to_pylist(), queries))
    assert got == expected
