"""Publishing change events to Redis, as Celery tasks sent by name, never letting a failure escape."""

from __future__ import annotations

from typing import Any, Protocol

from banner_api.observability.api_metrics import count_publish
from banner_common.events import ScheduleChanged
from banner_common.logging import get_logger
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE, SYNC_REQUEST

log = get_logger(__name__)


class Publisher(Protocol):
    def publish(self, event: ScheduleChanged) -> bool: ...

    def request_sync(self, target: str, *, force: bool) -> bool: ...


class PublishStats:
    """Counts of events published and failed, shown by /readyz and the metrics."""

    def __init__(self) -> None:
        self.published = 0
        self.failed = 0


class CeleryPublisher:
    """Sends a sync request task per change event. Redis being down is logged and counted, not raised:
    the beat's periodic reconcile delivers the change anyway."""

    def __init__(self, celery_app: Any, stats: PublishStats | None = None) -> None:
        self._celery = celery_app
        self.stats = stats or PublishStats()

    def publish(self, event: ScheduleChanged) -> bool:
        try:
            self._celery.send_task(
                SYNC_REQUEST,
                kwargs={"event": event.to_message()},
                queue=SYNC_QUEUE,
                retry=False,
            )
        except Exception as exc:  # any broker failure: the request must still succeed
            self.stats.failed += 1
            count_publish(succeeded=False)
            log.warning("event_publish_failed", error=str(exc), change_id=event.change_id)
            return False
        self.stats.published += 1
        count_publish(succeeded=True)
        log.info("event_published", change_id=event.change_id, targets=list(event.targets))
        return True

    def request_sync(self, target: str, *, force: bool) -> bool:
        """Ask the worker for a run of one target now (an operator's "sync now")."""
        try:
            self._celery.send_task(
                SYNC_RECONCILE,
                kwargs={"target": target, "trigger": "manual", "force": force},
                queue=SYNC_QUEUE,
                retry=False,
            )
        except Exception as exc:  # the caller reports the broker as unavailable
            log.warning("sync_request_failed", target=target, error=str(exc))
            return False
        return True


class NullPublisher:
    """Used when events are switched off: the beat alone delivers changes."""

    def __init__(self) -> None:
        self.stats = PublishStats()

    def publish(self, event: ScheduleChanged) -> bool:
        return False

    def request_sync(self, target: str, *, force: bool) -> bool:
        return False


def make_celery_client(broker_url: str, timeout_seconds: float) -> Any:
    """A Celery app used only to send tasks by name; it defines no tasks and imports no worker code."""
    from celery import Celery

    app = Celery("banner_api", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry=False,
        broker_connection_retry_on_startup=False,
        broker_connection_max_retries=0,
        broker_transport_options={
            "socket_connect_timeout": timeout_seconds,
            "socket_timeout": timeout_seconds,
            "max_retries": 0,
        },
        broker_pool_limit=4,
    )
    return app
