"""The %%kql magic under IPython."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kql_lake as kql
import pandas as pd
import polars as pl
import pytest
from conftest import NOW
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture()
def ip() -> Any:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "kql_lake")
    return shell


def test_cell_magic_binds_and_displays(ip: Any, lake: Path) -> None:
    out = ip.run_cell_magic(
        "kql",
        f"--lake {lake} --now {NOW} -o hits",
        "DeviceNetworkEvents\n| where RemoteUrl has 'atera.com'\n| summarize n = count() by DeviceName",
    )
    assert isinstance(out, pd.DataFrame)
    assert ip.user_ns["hits"] is out
    assert len(out) > 0
    # Later cells reuse the connection.
    again = ip.run_cell_magic("kql", "--as polars", "DeviceInfo | count")
    assert isinstance(again, pl.DataFrame)
    devices = kql.connect(lake).query("DeviceInfo | count").to_arrow().column("Count").to_pylist()
    assert again["Count"].to_list() == devices


def test_line_magic_and_named_connection(ip: Any, lake: Path) -> None:
    ip.user_ns["mycon"] = kql.connect(lake, now=NOW)
    table = ip.run_line_magic("kql", "-c mycon --as arrow print x = 41 + 1")
    assert table.to_pylist() == [{"x": 42}]


def test_errors_are_printed_with_a_caret(ip: Any, lake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = ip.run_cell_magic("kql", f"--lake {lake}", "DeviceNetworkEvents | wher x")
    assert result is None
    err = capsys.readouterr().err
    assert "expected a tabular operator" in err and "wher" in err
    ip.run_line_magic("kql", "-c nobody print 1")
    assert "no kql_lake connection named `nobody`" in capsys.readouterr().err
