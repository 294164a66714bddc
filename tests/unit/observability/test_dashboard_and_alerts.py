"""The Grafana dashboard and the Prometheus alert rules: valid, and built only on metrics that exist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from banner_common import metrics as names

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "mailbanner.json"
RULES = ROOT / "deploy" / "prometheus" / "alerts.yaml"
_METRIC = re.compile(r"\bmailbanner_[a-z0-9_]+")
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def _families_in(expr: str) -> set[str]:
    found = set()
    for name in _METRIC.findall(expr):
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and name.removesuffix(suffix) in names.ALL_FAMILIES:
                name = name.removesuffix(suffix)
                break
        found.add(name)
    return found


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _panels_by_row() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    current = ""
    for panel in _dashboard()["panels"]:
        if panel["type"] == "row":
            current = panel["title"]
            rows[current] = []
        else:
            rows[current].append(panel)
    return rows


def _rules() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


def test_every_dashboard_query_uses_only_metrics_mailbanner_exports() -> None:
    exprs = [target["expr"] for rows in _panels_by_row().values() for p in rows for target in p["targets"]]
    used = set().union(*(_families_in(expr) for expr in exprs))
    assert used <= names.ALL_FAMILIES, used - names.ALL_FAMILIES
    # The figures the issue asks to see are all on it.
    assert {
        names.SYNC_LAG,
        names.SYNC_CHANGE_APPLIED_LATENCY,
        names.SYNC_RUNS,
        names.HTTP_REQUESTS,
        names.KPI_BANNERS_LIVE_TODAY,
        names.KPI_COVERAGE_GAP_DAYS,
        names.KPI_SCHEDULE_CHANGES_TODAY,
    } <= used


def test_dashboard_has_an_ops_row_and_a_business_row_on_a_valid_grid() -> None:
    dashboard = _dashboard()
    rows = _panels_by_row()
    assert list(rows) == ["Operations", "Business"]
    ops = {p["title"] for p in rows["Operations"]}
    assert {
        "Sync lag per target",
        "Change-to-applied latency (p50, p95)",
        "Sync runs by outcome",
        "Errors",
    } <= ops
    business = {p["title"] for p in rows["Business"]}
    assert {"Banners live today", "Coverage gaps (next 14 days)", "Schedule changes per day"} <= business
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert [t["refId"] for t in panel["targets"]] == sorted({t["refId"] for t in panel["targets"]})
    assert dashboard["uid"] == "mailbanner-ops"


def test_dashboard_annotations_read_the_timeline_endpoint_for_the_visible_range() -> None:
    [mailbanner] = [a for a in _dashboard()["annotations"]["list"] if a["name"] == "Mailbanner events"]
    assert mailbanner["enable"] is True
    target = mailbanner["target"]
    assert target["url"] == "/api/v1/annotations"
    params = {p["key"]: p["value"] for p in target["url_options"]["params"]}
    assert params == {"from": "${__from}", "to": "${__to}"}
    columns = {c["selector"]: c["type"] for c in target["columns"]}
    assert columns["time"] == columns["timeEnd"] == "timestamp_epoch"
    assert set(mailbanner["mappings"]) == {"time", "timeEnd", "title", "text", "tags"}


def test_alert_rules_cover_the_issue_and_use_only_exported_metrics() -> None:
    rules = _rules()
    assert {
        "MailbannerSyncLagHigh",
        "MailbannerSwapFailing",
        "MailbannerSwapHeld",
        "MailbannerCoverageGapTomorrow",
        "MailbannerBeatSilent",
    } <= set(rules)
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in {"page", "ticket"}, name
        assert rule["annotations"]["summary"], name
        assert _families_in(rule["expr"]) <= names.ALL_FAMILIES, name
    assert "> 300" in rules["MailbannerSyncLagHigh"]["expr"]
    assert ">= 3" in rules["MailbannerSwapFailing"]["expr"]


@pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian package prometheus) not installed"
)
def test_promtool_accepts_the_alert_rules() -> None:
    result = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_metric_family_names_follow_prometheus_conventions() -> None:
    for name in names.ALL_FAMILIES:
        assert re.fullmatch(r"mailbanner_[a-z][a-z0-9_]*[a-z0-9]", name), name
        assert not name.endswith(_SUFFIXES), name  # the client adds _total and the histogram suffixes
