"""Recording runs in sync_runs and the worker-owned fields of target_states (banner database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from banner_common.delivery import DayWindow
from banner_common.models import ScheduleChange, SyncRun
from banner_common.target_states import state_of

ERROR_MAX_CHARS = 4000


@dataclass(frozen=True)
class StateView:
    """The operator-controlled part of a target's state, as read at the start of a run."""

    paused: bool
    paused_reason: str
    held: bool


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


def begin_run(
    sessions: sessionmaker[Session],
    *,
    target: str,
    trigger: str,
    window: DayWindow,
    started_at: dt.datetime,
    abandoned_after: dt.timedelta | None = None,
) -> tuple[int, StateView]:
    """Insert the run as 'running' (so operators see it) and read the target's state, creating it if new.

    Runs of the target still 'running' after `abandoned_after` (the task's hard time limit, past which
    no run can be alive) belonged to a killed worker: they are closed as failed.
    """

    def attempt() -> tuple[int, StateView]:
        return _begin_run(
            sessions,
            target=target,
            trigger=trigger,
            window=window,
            started_at=started_at,
            abandoned_after=abandoned_after,
        )

    try:
        return attempt()
    except IntegrityError:
        # Another run created the new target's state at the same moment; it exists now.
        return attempt()


def _begin_run(
    sessions: sessionmaker[Session],
    *,
    target: str,
    trigger: str,
    window: DayWindow,
    started_at: dt.datetime,
    abandoned_after: dt.timedelta | None,
) -> tuple[int, StateView]:
    with sessions() as session, session.begin():
        if abandoned_after is not None:
            session.execute(
                update(SyncRun)
                .where(
                    SyncRun.target == target,
                    SyncRun.outcome == "running",
                    SyncRun.started_at < started_at - abandoned_after,
                )
                .values(outcome="failed", finished_at=started_at, error=ABANDONED_ERROR)
            )
        state = state_of(session, target)
        view = StateView(state.paused, state.paused_reason, state.held)
        run = SyncRun(
            target=target,
            trigger=trigger,
            started_at=started_at,
            outcome="running",
            window_first=window.first,
            window_last=window.last,
            rows_deleted=0,
            rows_inserted=0,
        )
        session.add(run)
        session.flush()
        return run.id, view


ABANDONED_ERROR = "abandoned: the worker stopped during the run (killed or past its time limit)"


def latest_change_id(session: Session) -> int:
    """The highest committed schedule change id (0 before the first change)."""
    return session.scalar(select(func.max(ScheduleChange.id))) or 0


def finish_run(
    sessions: sessionmaker[Session], *, run_id: int, target: str, record: RunRecord, finished_at: dt.datetime
) -> None:
    """Close the run and update the target's state in one banner-database transaction."""
    error = record.error[:ERROR_MAX_CHARS] if record.error else None
    with sessions() as session, session.begin():
        run = session.get(SyncRun, run_id)
        if run is None:
            raise LookupError(f"sync run {run_id} vanished")
        run.finished_at = finished_at
        run.outcome = record.outcome
        run.rows_deleted = record.rows_deleted
        run.rows_inserted = record.rows_inserted
        run.diff_summary = record.diff_summary
        run.error = error
        run.applied_change_id = record.applied_change_id
        state = state_of(session, target)
        state.last_run_at = finished_at
        state.last_outcome = record.outcome
        if record.in_sync is not None:
            state.in_sync = record.in_sync
        if record.succeeded:
            state.last_success_at = finished_at
            state.last_error = None
            state.held = False
            state.held_diff = None
            if record.applied_change_id is not None:
                state.applied_change_id = max(state.applied_change_id, record.applied_change_id)
        elif record.held:
            state.held = True
            state.held_diff = record.diff_summary
        elif error is not None:
            state.last_error = error
