"""The beat's Prometheus metrics: tasks it sent and when it last sent one, on MAILBANNER_BEAT_METRICS_PORT.

Only the replica holding the RedBeat lock sends, so a fleet's liveness is the newest send of any replica
(the alert takes the max over instances).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from banner_common import metrics as names
from banner_common.logging import get_logger
from banner_common.settings import Settings

if TYPE_CHECKING:
    from celery import Celery
    from prometheus_client import Counter, Gauge

log = get_logger(__name__)


@dataclass(frozen=True)
class BeatMetrics:
    tasks_sent: Counter
    last_sent: Gauge


@functools.cache
def beat_metrics() -> BeatMetrics:
    from prometheus_client import Counter, Gauge

    return BeatMetrics(
        tasks_sent=Counter(names.BEAT_TASKS_SENT, "Tasks the beat sent, by task name", ["task"]),
        last_sent=Gauge(names.BEAT_LAST_SENT, "Unix time of the beat's last sent task"),
    )


def record_sent(task: str, now: float | None = None) -> None:
    found = beat_metrics()
    found.tasks_sent.labels(task).inc()
    found.last_sent.set(now if now is not None else time.time())


def serve_beat_metrics(settings: Settings, port: int | None = None) -> Any:
    """Start the beat's metrics HTTP server in a daemon thread (None when off or the port is taken)."""
    from prometheus_client import REGISTRY, start_http_server

    chosen = settings.beat_metrics_port if port is None else port
    if port is None and not chosen:
        return None
    beat_metrics()  # the families show (at zero) before the first send
    try:
        server, _thread = start_http_server(chosen, addr=settings.metrics_address, registry=REGISTRY)
    except OSError as exc:
        log.warning("metrics_port_unavailable", port=chosen, error=str(exc))
        return None
    log.info("metrics_serving", port=server.server_port, address=settings.metrics_address)
    return server


def install_beat_metrics(app: Celery, settings: Settings) -> None:
    """Count what this process publishes once the beat of `app` has started, and serve the port."""
    from celery.signals import after_task_publish, beat_init

    started: list[Any] = []

    def _beat_started(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        started.append(serve_beat_metrics(settings))

    def _published(sender: str | None = None, **_: Any) -> None:
        # after_task_publish carries no app: count only in a process where this beat has started.
        if started and sender:
            record_sent(sender)

    beat_init.connect(_beat_started, weak=False)
    after_task_publish.connect(_published, weak=False)
