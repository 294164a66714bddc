"""The whole beat schedule in one place: which task is sent, by name, to which queue, and how often."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery.schedules import schedule

from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE_ALL

RECONCILE_ALL_ENTRY = "reconcile-all-targets"


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every entry the beat sends. The beat knows no target: the worker, which reads the targets file,
    turns one reconcile-all into a reconcile per enabled target."""
    interval = settings.beat_interval_seconds
    return {
        RECONCILE_ALL_ENTRY: {
            "task": SYNC_RECONCILE_ALL,
            "schedule": schedule(run_every=dt.timedelta(seconds=interval)),
            # A reconcile-all older than one period is superseded by the next one: when the worker
            # is down, expired copies are discarded instead of piling up in the queue.
            "options": {"queue": SYNC_QUEUE, "expires": interval},
        },
    }
