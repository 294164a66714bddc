"""The worker's Celery tasks, registered by name on an app: parse, ask the coordinator, decide on a retry."""

from __future__ import annotations

from typing import Any

from celery import Celery, Task

from banner_common.events import EventFormatError, ScheduleChanged
from banner_common.logging import get_logger
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE, SYNC_RECONCILE_ALL, SYNC_REQUEST
from sync_worker.celery_app import WorkerContext, retry_countdown
from sync_worker.metrics import install_worker_metrics

log = get_logger(__name__)

EVENT_TRIGGER = "event"


def register_tasks(app: Celery, context: WorkerContext) -> None:
    """Define the three sync tasks on `app`, sharing the process's lazily built context."""
    install_worker_metrics(app, context.settings)  # the metrics port, once a prefork worker starts

    @app.task(name=SYNC_RECONCILE, bind=True, shared=False)
    def sync_reconcile(
        self: Task, target: str, trigger: str = "beat", force: bool = False, requested_at: float | None = None
    ) -> str:
        if target not in context.runner.targets():
            log.warning("sync_unknown_target_ignored", target=target, trigger=trigger)
            return "unknown_target"
        results = context.coordinator.request(target, trigger, bool(force), requested_at)
        if not results:
            return "coalesced"  # the run in progress does the follow-up
        last = results[-1]
        if last.error is not None and not last.retryable:
            log.error("sync_run_failed", target=target, trigger=trigger, error=last.error)
        if last.retryable:
            retries: int = self.request.retries
            if retries >= context.options.max_retries:
                log.error("sync_retries_exhausted", target=target, error=last.error, retries=retries)
            else:
                countdown = retry_countdown(retries, context.options)
                # The claim lasts until the retry has run to its time limit; a lost chain frees it then.
                hold = countdown + context.options.time_limit_seconds
                if not context.coordinator.claim_retry(target, str(self.request.id), hold):
                    log.info("sync_retry_left_to_other_chain", target=target, error=last.error)
                    return str(last.outcome)
                log.warning("sync_retry_scheduled", target=target, error=last.error, countdown=countdown)
                raise self.retry(countdown=countdown, max_retries=context.options.max_retries)
        return str(last.outcome)

    def ask(target: str, trigger: str, requested_at: float | None = None) -> None:
        kwargs = {"target": target, "trigger": trigger, "force": False, "requested_at": requested_at}
        sync_reconcile.apply_async(kwargs=kwargs, queue=SYNC_QUEUE)

    @app.task(name=SYNC_REQUEST, shared=False)
    def sync_request(event: Any = None) -> int:
        try:
            change = ScheduleChanged.from_message(event)
        except EventFormatError as exc:
            # A malformed message will never parse: retrying it would only repeat this line.
            log.error("sync_request_dropped", error=str(exc))
            return 0
        log.info(
            "sync_request_received",
            change_id=change.change_id,
            request_id=change.request_id,
            targets=list(change.targets),
        )
        targets = context.runner.targets()
        # The change was committed before its event was published, so before this moment: any run
        # that starts later covers it (see TargetCoordinator.covered).
        requested_at = context.coordinator.clock()
        asked = 0
        for name in change.targets:
            if targets.get(name):
                ask(name, EVENT_TRIGGER, requested_at)
                asked += 1
            else:
                log.warning("sync_request_target_skipped", target=name, configured=name in targets)
        return asked

    @app.task(name=SYNC_RECONCILE_ALL, shared=False)
    def sync_reconcile_all() -> int:
        enabled = [name for name, is_enabled in context.runner.targets().items() if is_enabled]
        for name in enabled:
            ask(name, "beat")
        return len(enabled)
