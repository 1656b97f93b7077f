"""Fixtures: a generated Defender lake (by the `kql` binary the Rust tests built) and its
ground-truth manifest."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kql_lake as kql
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
NOW = "2024-06-01T12:00:00Z"


def kql_binary() -> Path:
    """The `kql` binary: $KQL_BIN, else the workspace's debug build."""
    path = Path(os.environ.get("KQL_BIN", REPO / "target" / "debug" / "kql"))
    if not path.exists():
        pytest.fail(f"no kql binary at {path}: run `cargo build -p kql-cli` or set KQL_BIN")
    return path


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated lake of the six Defender tables, 20,000 rows each, clock at NOW."""
    out = tmp_path_factory.mktemp("lake")
    subprocess.run(
        [str(kql_binary()), "gen", "--out", str(out), "--rows", "20000", "--now", NOW],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def manifest(lake: Path) -> dict[str, Any]:
    """The generator's ground truth: every rule's expected rows."""
    data: dict[str, Any] = json.loads((lake / "manifest.json").read_text())
    return data


@pytest.fixture()
def con(lake: Path) -> kql.Connection:
    """A connection to the generated lake with the clock pinned."""
    return kql.connect(lake, now=NOW)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared material (rule corpora) beside the repository."""
    if not (SHARED / "corpus").is_dir():
        pytest.fail(f"{SHARED} is missing; the tests read the rule corpus from it")
    return SHARED
