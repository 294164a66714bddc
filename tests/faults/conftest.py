"""Fixtures of the fault-injection suite and its `faults` marker."""

from __future__ import annotations

import os

import pytest

LONG = os.environ.get("MAILBANNER_LONG") == "1"


def pytest_configure(config: pytest.Config) -> None:
    # Until pyproject.toml lists it (the suite runs with --strict-markers).
    config.addinivalue_line("markers", "faults: injects faults into real processes and databases")
