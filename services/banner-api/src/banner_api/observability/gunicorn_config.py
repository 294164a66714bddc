"""gunicorn settings for `mailbanner serve`: one metrics directory shared by the workers, cleaned on exit.

Loaded by the gunicorn master before it forks, so the workers inherit PROMETHEUS_MULTIPROC_DIR and
their counters land in files that /metrics, served by any worker, adds up.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_created: str | None = None
if not os.environ.get(MULTIPROC_ENV):
    _created = tempfile.mkdtemp(prefix="mailbanner-api-metrics-")
    os.environ[MULTIPROC_ENV] = _created
else:
    # A directory given by the deployment may hold files of a previous run: counters restart at zero.
    _given = os.environ[MULTIPROC_ENV]
    os.makedirs(_given, exist_ok=True)
    for _stale in os.listdir(_given):
        if _stale.endswith(".db"):
            os.remove(os.path.join(_given, _stale))


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges (its counters stay: they were really counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if _created is not None:
        shutil.rmtree(_created, ignore_errors=True)
