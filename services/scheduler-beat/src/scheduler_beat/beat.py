"""The beat's Celery app: sends the schedule by task name; RedBeat keeps it to one active beat in a fleet."""

from __future__ import annotations

from typing import Any

from celery import Celery

from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE_ALL
from scheduler_beat.metrics import install_beat_metrics
from scheduler_beat.schedule import beat_schedule

SCHEDULER = "scheduler_beat.scheduler:ResilientRedBeatScheduler"
DEFAULT_KEY_PREFIX = "mailbanner:redbeat:"
MAX_LOOP_INTERVAL_SECONDS = 5.0
LOCK_TIMEOUT_SECONDS = 30.0


def beat_config(settings: Settings, key_prefix: str = DEFAULT_KEY_PREFIX) -> dict[str, Any]:
    """Every Celery setting of the beat; docs/celery.md explains each choice."""
    return {
        "broker_url": settings.redis_url,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        # No results are stored, so no daily celery.backend_cleanup entry (nothing would consume it).
        "result_expires": None,
        "task_routes": {SYNC_RECONCILE_ALL: {"queue": SYNC_QUEUE}},
        "task_send_sent_event": True,
        "beat_schedule": beat_schedule(settings),
        "beat_scheduler": SCHEDULER,
        # The active beat re-takes its Redis lock every loop; a replica takes over once a dead
        # holder's lock expires, so the timeout must be several loop intervals.
        "beat_max_loop_interval": MAX_LOOP_INTERVAL_SECONDS,
        "redbeat_redis_url": settings.redis_url,
        "redbeat_redis_options": {},
        "redbeat_key_prefix": key_prefix,
        "redbeat_lock_timeout": LOCK_TIMEOUT_SECONDS,
        "enable_utc": True,
        "timezone": "UTC",
    }


def make_beat_app(settings: Settings, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> Celery:
    """The beat's app. Defines no task (it sends them by name) and does not connect."""
    app = Celery("scheduler_beat", set_as_current=False)
    app.conf.update(beat_config(settings, key_prefix))
    install_beat_metrics(app, settings)
    return app
