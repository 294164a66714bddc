"""The bench marker: tests that run the benchmark harness (real processes and databases)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bench: runs the benchmark harness (python -m bench --quick)")
