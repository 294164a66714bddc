"""Recording runs in sync_runs and the worker-owned fields of target_states (banner database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, case, func, insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

from banner_common.delivery import DayWindow
from banner_common.models import ScheduleChange, SyncRun, TargetState
from banner_common.target_states import again_if_state_raced, state_of

ERROR_MAX_CHARS = 4000


@dataclass(frozen=True)
class FinishedRun:
    """A recorded run as the metrics need it, so they do not read it back."""

    id: int
    target: str
    outcome: str
    started_at: dt.datetime
    finished_at: dt.datetime
    rows_deleted: int
    rows_inserted: int
    applied_change_id: int | None

    @classmethod
    def of(
        cls, run_id: int, target: str, started_at: dt.datetime, finished_at: dt.datetime, record: RunRecord
    ) -> FinishedRun:
        return cls(
            run_id, target, record.outcome, started_at, finished_at, record.rows_deleted,
            record.rows_inserted, record.applied_change_id,
        )  # fmt: skip


@dataclass(frozen=True)
class RunRecord:
    """How a run ended. in_sync None leaves target_states.in_sync as it was (the target was not read)."""

    outcome: str
    rows_deleted: int = 0
    rows_inserted: int = 0
    diff_summary: dict[str, Any] | None = None
    error: str | None = None
    applied_change_id: int | None = None
    in_sync: bool | None = None
    succeeded: bool = False
    held: bool = False


@dataclass(frozen=True)
class RunStart:
    """What a run reads of the banner database before the schedule, in one statement."""

    paused: bool
    latest_change_id: int
    has_abandoned: bool


def read_run_start(session: Session, target: str, abandoned_before: dt.datetime) -> RunStart:
    """Whether the target is paused, the highest committed change id (read before the schedule: a change
    committed in between is then applied but not claimed) and whether a killed worker left a run 'running'.

    A target never seen before reads as paused (a new target starts paused); its state row is created by
    the run record.
    """
    abandoned = select(SyncRun.id).where(*_abandoned_runs(target, abandoned_before))
    high, has_abandoned, paused = session.execute(
        select(
            select(func.max(ScheduleChange.id)).scalar_subquery(),
            abandoned.exists(),
            select(TargetState.paused).where(TargetState.name == target).scalar_subquery(),
        )
    ).one()
    return RunStart(paused is None or bool(paused), high or 0, bool(has_abandoned))


def record_run(
    sessions: sessionmaker[Session],
    *,
    target: str,
    trigger: str,
    window: DayWindow,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    record: RunRecord,
    abandoned_after: dt.timedelta | None = None,
) -> FinishedRun:
    """Record a run that ended before touching the target (paused, disabled) and update the target's state,
    creating it if new, in one banner-database transaction: such a run needs no 'running' row of its own."""

    def attempt() -> FinishedRun:
        with sessions() as session, session.begin():
            _close_abandoned(session, target, started_at, abandoned_after)
            run_id = session.execute(
                insert(SyncRun)
                .values(
                    target=target,
                    trigger=trigger,
                    started_at=started_at,
                    window_first=window.first,
                    window_last=window.last,
                    **_run_values(record, finished_at),
                )
                .returning(SyncRun.id)
            ).scalar_one()
            _update_state(session, target, record, finished_at)
            return FinishedRun.of(run_id, target, started_at, finished_at, record)

    return again_if_state_raced(attempt)


def start_running(
    session: Session, *, target: str, trigger: str, window: DayWindow, started_at: dt.datetime
) -> int:
    """Insert the run as 'running', in the caller's autocommit session: operators see it at once, while
    the run waits on its target (a lock, a cut network) up to the time limit. The target's state row
    exists: a target without one reads as paused and never gets this far."""
    running = insert(SyncRun).values(
        target=target,
        trigger=trigger,
        started_at=started_at,
        outcome="running",
        window_first=window.first,
        window_last=window.last,
        rows_deleted=0,
        rows_inserted=0,
    )
    return int(session.execute(running.returning(SyncRun.id)).scalar_one())


def paused_now(sessions: sessionmaker[Session], target: str) -> bool:
    """Whether an operator paused the target since the run read its state (read again before a swap)."""
    with sessions() as session:
        return bool(session.scalar(select(TargetState.paused).where(TargetState.name == target)))


def _close_abandoned(
    session: Session, target: str, started_at: dt.datetime, abandoned_after: dt.timedelta | None
) -> None:
    if abandoned_after is None:
        return
    session.execute(
        update(SyncRun)
        .where(*_abandoned_runs(target, started_at - abandoned_after))
        .values(outcome="failed", finished_at=started_at, error=ABANDONED_ERROR)
    )


def _abandoned_runs(target: str, started_before: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """The target's runs still 'running' that started before the moment past which none can be alive."""
    return (SyncRun.target == target, SyncRun.outcome == "running", SyncRun.started_at < started_before)


ABANDONED_ERROR = "abandoned: the worker stopped during the run (killed or past its time limit)"


def finish_run(
    sessions: sessionmaker[Session],
    *,
    run_id: int,
    target: str,
    record: RunRecord,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    abandoned_after: dt.timedelta | None = None,
) -> FinishedRun:
    """Close a 'running' run and update the target's state in one banner-database transaction.

    Runs of the target still 'running' after `abandoned_after` (the task's hard time limit, past which
    no run can be alive) belonged to a killed worker: they are closed as failed in the same transaction.
    """

    def attempt() -> FinishedRun:
        with sessions() as session, session.begin():
            _close_abandoned(session, target, started_at, abandoned_after)
            closing = (
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(**_run_values(record, finished_at))
                .execution_options(synchronize_session=False)
            )
            session.execute(closing)
            _update_state(session, target, record, finished_at)
            return FinishedRun.of(run_id, target, started_at, finished_at, record)

    return again_if_state_raced(attempt)


def _run_values(record: RunRecord, finished_at: dt.datetime) -> dict[str, Any]:
    return {
        "finished_at": finished_at,
        "outcome": record.outcome,
        "rows_deleted": record.rows_deleted,
        "rows_inserted": record.rows_inserted,
        "diff_summary": record.diff_summary,
        "error": record.error[:ERROR_MAX_CHARS] if record.error else None,
        "applied_change_id": record.applied_change_id,
    }


def _update_state(session: Session, target: str, record: RunRecord, finished_at: dt.datetime) -> None:
    """Set the worker-owned fields of the target's state after a run that ended as `record` says."""
    values: dict[str, Any] = {"last_run_at": finished_at, "last_outcome": record.outcome}
    if record.in_sync is not None:
        values["in_sync"] = record.in_sync
    if record.succeeded:
        values.update(last_success_at=finished_at, last_error=None, held=False, held_diff=None)
        if record.applied_change_id is not None:
            # Never backwards: a slower run may finish after one that read a later change.
            claimed = record.applied_change_id
            values["applied_change_id"] = case(
                (TargetState.applied_change_id < claimed, claimed), else_=TargetState.applied_change_id
            )
    elif record.held:
        values.update(held=True, held_diff=record.diff_summary)
    elif record.error:
        values["last_error"] = record.error[:ERROR_MAX_CHARS]
    change = (
        update(TargetState)
        .where(TargetState.name == target)
        .values(**values)
        .execution_options(synchronize_session=False)  # nothing of it is loaded in this session
    )
    if cast("CursorResult[Any]", session.execute(change)).rowcount == 0:
        state_of(session, target)  # a target's first run: its state row, paused (a new target starts paused)
        session.flush()
        session.execute(change)
