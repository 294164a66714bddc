"""Smoke test of the benchmarks: every scenario runs at a tiny size and writes its results as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bench

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ["latency", "reconcile", "swap", "api", "scaleout", "import"]


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("bench") / "quick.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bench", *SCENARIOS, "--quick", "--json", str(path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-4000:]
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    results["printed"] = finished.stdout
    return results


def test_every_scenario_writes_rows_and_no_error(quick_results: dict[str, Any]) -> None:
    assert quick_results["quick"] is True
    for name in SCENARIOS:
        result = quick_results["scenarios"][name]
        assert "error" not in result, (name, result.get("error"))
    for name in ("latency", "reconcile", "swap", "api", "scaleout"):
        assert quick_results["scenarios"][name]["rows"], name
        assert f"== {name}" in quick_results["printed"]


def test_every_quick_edit_reaches_both_targets_in_both_modes(quick_results: dict[str, Any]) -> None:
    rows = quick_results["scenarios"]["latency"]["rows"]
    assert {(row["mode"], row["target"]) for row in rows} == {
        (mode, target) for mode in ("events", "beat_only") for target in ("personalized", "mass")
    }
    for row in rows:
        assert row["failed"] == 0, row
        assert row["applied"] == row["edits"] > 0, row
        assert row["achieved/s"] > 0, row
    assert all(r["beat_only/events p50"] is not None for r in quick_results["scenarios"]["latency"]["ratios"])


def test_a_noop_reconcile_writes_nothing_to_the_target(quick_results: dict[str, Any]) -> None:
    rows = quick_results["scenarios"]["reconcile"]["rows"]
    assert {row["dialect"] for row in rows} == {"postgresql", "mysql"}
    for row in rows:
        assert row["target writes"] == 0
        assert row["target stmts"] >= 1  # it did read the window


def test_swaps_cover_every_backend_and_api_loads_answer_without_errors(quick_results: dict[str, Any]) -> None:
    swap = quick_results["scenarios"]["swap"]["rows"]
    assert {row["backend"] for row in swap} == {"postgresql", "mariadb", "mariadb-odbc"}
    assert all(row["rows/s"] > 0 for row in swap)
    api = quick_results["scenarios"]["api"]["rows"]
    assert {row["workload"] for row in api} >= {
        "calendar (month)",
        "day view",
        "search",
        "read mix",
        "write mix",
    }
    assert {(row["workload"], row["read cache"]) for row in api} >= {
        ("read mix", "on"),
        ("read mix", "off"),
        ("read mix during the write mix", "on"),
    }
    for row in api:
        assert row["requests"] > 0, row
        assert row["errors"] == 0, row


def test_scaleout_passes_reach_every_target(quick_results: dict[str, Any]) -> None:
    result = quick_results["scenarios"]["scaleout"]
    for row in result["rows"]:
        expected = "swapped" if row["pass"] == "every target changed" else "in_sync"
        assert row["outcomes"] == {expected: row["targets"]}, row
