"""One run of the swap job for one target: compare desired and actual, guard, swap, record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from banner_common.delivery import DayWindow, delivery_rows, today_in
from banner_common.logging import get_logger
from banner_common.models import utcnow
from banner_common.settings import Settings
from banner_common.targets import TargetSpec
from sync_worker.delivery_guard import sending_at
from sync_worker.dialects import Dialect, dialect_for
from sync_worker.diff import WindowDiff, hold_reason
from sync_worker.metrics import observe_run
from sync_worker.runs import (
    FinishedRun,
    RunRecord,
    finish_run,
    paused_now,
    read_run_start,
    record_run,
    start_running,
)
from sync_worker.swap import read_window, swap_window
from sync_worker.target_table import TargetTable

log = get_logger(__name__)


class Outcome(StrEnum):
    SWAPPED = "swapped"
    IN_SYNC = "in_sync"
    HELD = "held"
    PAUSED = "paused"
    FAILED = "failed"


@dataclass(frozen=True)
class RunResult:
    target: str
    outcome: Outcome
    run_id: int
    rows_deleted: int
    rows_inserted: int
    error: str | None
    retryable: bool


def _error_text(exc: BaseException) -> str:
    """The error, and the one it interrupted when it was raised while handling another (e.g. a time limit
    hit mid-query makes the connection's cleanup fail: the record must name the time limit too)."""
    text = f"{type(exc).__name__}: {exc}"
    root = exc
    while root.__context__ is not None:
        root = root.__context__
    if root is not exc and root is not exc.__cause__:
        text += f" (raised while handling {type(root).__name__}: {root})"
    return text


def reconcile(
    spec: TargetSpec,
    *,
    banner_sessions: sessionmaker[Session],
    target_engine: Engine,
    settings: Settings,
    trigger: str,
    force: bool = False,
    now: dt.datetime | None = None,
) -> RunResult:
    """Make the target's window equal the schedule's delivery rows, or record why not.

    `now` (aware) is the run's logical moment: it picks the window and is written to the now columns;
    run bookkeeping uses the real clock. Errors of the target database are recorded as a failed run
    (never raised); errors of the banner database propagate.
    """
    moment = now if now is not None else utcnow()
    if moment.tzinfo is None:
        raise ValueError("reconcile needs an aware `now`")
    window = DayWindow.around(today_in(settings.tz, moment), spec.window_days_back, spec.window_days_ahead)
    dialect: Dialect = dialect_for(target_engine.url)  # an unsupported database is a configuration error
    started_at = utcnow()
    abandoned_after = dt.timedelta(seconds=settings.sync_time_limit_seconds)

    def result(run: FinishedRun, record: RunRecord, retryable: bool) -> RunResult:
        observe_run(banner_sessions, run)
        outcome = Outcome(record.outcome)
        log.info("sync.run", target=spec.name, trigger=trigger, run_id=run.id, outcome=outcome.value)
        return RunResult(
            target=spec.name,
            outcome=outcome,
            run_id=run.id,
            rows_deleted=record.rows_deleted,
            rows_inserted=record.rows_inserted,
            error=record.error,
            retryable=retryable,
        )

    target = TargetTable.for_spec(spec, settings.tz, dialect)
    with banner_sessions() as session:
        # Each statement on its own, seeing what is committed when it runs (and the running row committed
        # at once): no transaction to open.
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        start = read_run_start(session, spec.name, started_at - abandoned_after)
        # The stale-run UPDATE is sent only when a killed worker left one.
        close_abandoned_after = abandoned_after if start.has_abandoned else None
        if start.paused or not spec.enabled:
            session.close()
            paused = RunRecord(Outcome.PAUSED)
            run = record_run(
                banner_sessions, target=spec.name, trigger=trigger, window=window, started_at=started_at,
                finished_at=utcnow(), record=paused, abandoned_after=close_abandoned_after,
            )  # fmt: skip
            return result(run, paused, retryable=False)
        rows = delivery_rows(
            session,
            spec.name,
            window,
            settings.tz,
            spec.priority_order,
            approved_only=settings.approval_required,
        )
        # From here on the run touches the target, which can block until the time limit: operators see
        # it as 'running' until it ends.
        run_id = start_running(
            session, target=spec.name, trigger=trigger, window=window, started_at=started_at
        )
    high = start.latest_change_id
    desired = target.keys_of(rows)

    def finish(record: RunRecord, retryable: bool = False) -> RunResult:
        run = finish_run(
            banner_sessions, run_id=run_id, target=spec.name, record=record, started_at=started_at,
            finished_at=utcnow(), abandoned_after=close_abandoned_after,
        )  # fmt: skip
        return result(run, record, retryable)

    try:
        actual = read_window(target_engine, target, window)
    except Exception as exc:
        return finish(RunRecord(Outcome.FAILED, error=_error_text(exc)), dialect.is_retryable(exc))

    diff = WindowDiff.of(desired, actual)
    if diff.in_sync:
        return finish(RunRecord(Outcome.IN_SYNC, applied_change_id=high, in_sync=True, succeeded=True))

    share = spec.max_delete_share if spec.max_delete_share is not None else settings.swap_max_delete_share
    reason = hold_reason(diff, share)
    if reason is not None and not force:
        held = RunRecord(Outcome.HELD, diff_summary=diff.summary(reason), in_sync=False, held=True)
        return finish(held)

    # The delivery guard: never rewrite the table while the delivery system reads it to send. The beat's
    # next reconcile after the window ends makes the swap; a forced run waits too.
    sending = sending_at(spec.sending_windows, moment, settings.tz)
    if sending is not None:
        waiting = RunRecord(
            Outcome.PAUSED,
            diff_summary=diff.summary(reason),
            error=sending.describe(settings.tz),
            in_sync=False,
        )
        return finish(waiting)

    if paused_now(banner_sessions, spec.name):  # by an operator since the run read the state
        return finish(RunRecord(Outcome.PAUSED))
    try:
        counts = swap_window(
            target_engine, dialect, target, window, desired, moment, spec.lock_timeout_seconds
        )
    except Exception as exc:
        record = RunRecord(Outcome.FAILED, diff_summary=diff.summary(), error=_error_text(exc), in_sync=False)
        return finish(record, dialect.is_retryable(exc))
    summary = diff.summary(f"forced: {reason}" if reason is not None else None)
    swapped = RunRecord(
        Outcome.SWAPPED,
        rows_deleted=counts.deleted,
        rows_inserted=counts.inserted,
        diff_summary=summary,
        applied_change_id=high,
        in_sync=True,
        succeeded=True,
    )
    return finish(swapped)
