"""Settings of the fault-injection suite (its `faults` marker is registered in pyproject.toml)."""

from __future__ import annotations

import os

LONG = os.environ.get("MAILBANNER_LONG") == "1"
