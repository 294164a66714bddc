"""The alert rules file, and evaluating one of its rules on given series with promtool (or, without
promtool, its comparison of one gauge against a threshold, evaluated in Python)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

RULES_FILE = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "alerts.yaml"
_GAUGE_OVER = re.compile(r"^max by \((\w+)\) \((\w+)\) > ([0-9.]+)$")


def alert_rules() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"] if "alert" in rule}


def firing(alert: str, series: dict[str, float], tmp_path: Path) -> set[str]:
    """Label values (of the rule's `by` label) the alert fires for, the gauge holding `series` values
    per label value (rising 60 per minute where positive: an age keeps growing) over ten minutes."""
    rule = alert_rules()[alert]
    if shutil.which("promtool"):
        return _promtool_firing(rule, series, tmp_path)
    return _python_firing(rule, series)


def _label_and_metric(rule: dict[str, Any]) -> tuple[str, str, float]:
    match = _GAUGE_OVER.match(rule["expr"].strip())
    assert match, f"not a 'max by (label) (gauge) > threshold' rule: {rule['expr']}"
    return match.group(1), match.group(2), float(match.group(3))


def _python_firing(rule: dict[str, Any], series: dict[str, float]) -> set[str]:
    _label, _metric, threshold = _label_and_metric(rule)
    return {key for key, value in series.items() if value > threshold}


def _promtool_firing(rule: dict[str, Any], series: dict[str, float], tmp_path: Path) -> set[str]:
    label, metric, _threshold = _label_and_metric(rule)
    # The real expression and `for`, without the annotations (promtool compares those word for word).
    bare = {key: rule[key] for key in ("alert", "expr", "for", "labels") if key in rule}
    rules_path = tmp_path / "rule.yaml"
    rules_path.write_text(yaml.safe_dump({"groups": [{"name": "under-test", "rules": [bare]}]}))
    found: set[str] = set()
    for key, value in series.items():
        test = {
            "rule_files": [str(rules_path)],
            "evaluation_interval": "1m",
            "tests": [
                {
                    "interval": "1m",
                    "input_series": [
                        {
                            "series": f'{metric}{{{label}="{key}", instance="api-1"}}',
                            "values": f"{value:.0f}+60x10" if value > 0 else "0x10",
                        }
                    ],
                    "alert_rule_test": [
                        {
                            "eval_time": "5m",
                            "alertname": rule["alert"],
                            "exp_alerts": [{"exp_labels": {**rule.get("labels", {}), label: key}}],
                        }
                    ],
                }
            ],
        }
        test_path = tmp_path / f"test-{key}.yaml"
        test_path.write_text(yaml.safe_dump(test))
        result = subprocess.run(
            ["promtool", "test", "rules", str(test_path)], capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            found.add(key)
        else:
            assert "exp:" in result.stdout + result.stderr, result.stdout + result.stderr
    return found
