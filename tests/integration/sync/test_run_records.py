"""What a run leaves in the banner database: the sync_runs row and the target's state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from banner_common.models import SyncRun, TargetState
from sync_worker.reconcile import Outcome, RunResult
from tests.factories import recorded_statements
from tests.integration.sync.conftest import REJECTED_LINK, TARGET, LegacyTarget, Planner
from tests.integration.sync.scenario import DAY1, DAY3, LAST, plan_standard

Run = Callable[..., RunResult]
SQLITE_TARGET = pytest.mark.parametrize("legacy", ["sqlite"], indirect=True)


def _run_row(sessions: sessionmaker[Session], run_id: int) -> SyncRun:
    with sessions() as session:
        return session.get_one(SyncRun, run_id)


@SQLITE_TARGET
def test_swap_records_the_run_and_marks_the_target_in_sync_up_to_the_latest_change(
    legacy: LegacyTarget, planner: Planner, run: Run, banner_sessions: sessionmaker[Session]
) -> None:
    plan_standard(planner)
    latest = planner.schedule(DAY3)  # an empty day still logs a change
    planner.resume()
    started = dt.datetime.now(dt.UTC)

    result = run(legacy.spec(), legacy.engine, trigger="event")

    record = _run_row(banner_sessions, result.run_id)
    assert (record.target, record.trigger, record.outcome) == (TARGET, "event", "swapped")
    assert (record.window_first, record.window_last) == (DAY1, LAST)
    assert (record.rows_deleted, record.rows_inserted) == (0, 4)
    assert record.applied_change_id == latest
    assert record.error is None
    assert record.finished_at is not None
    assert started <= record.started_at <= record.finished_at
    assert record.diff_summary is not None
    assert (record.diff_summary["added"], record.diff_summary["removed"]) == (4, 0)
    assert len(record.diff_summary["samples_added"]) == 4
    assert record.diff_summary["samples_added"][0]["image_url"].startswith("https://img.test/")
    state = planner.state()
    assert (state.last_outcome, state.in_sync, state.applied_change_id) == ("swapped", True, latest)
    assert state.last_success_at == record.finished_at
    assert state.last_run_at == record.finished_at
    assert state.last_error is None


@SQLITE_TARGET
def test_in_sync_run_advances_the_applied_change_without_writing(
    legacy: LegacyTarget, planner: Planner, run: Run, banner_sessions: sessionmaker[Session]
) -> None:
    plan_standard(planner)
    planner.resume()
    first = run(legacy.spec(), legacy.engine)
    unrelated = planner.schedule(dt.date(2027, 1, 1))  # a change outside the window

    second = run(legacy.spec(), legacy.engine)

    assert (first.outcome, second.outcome) == (Outcome.SWAPPED, Outcome.IN_SYNC)
    assert _run_row(banner_sessions, second.run_id).applied_change_id == unrelated
    assert planner.state().applied_change_id == unrelated


def test_an_in_sync_run_shows_as_running_then_closes_and_writes_nothing_to_the_target(
    legacy: LegacyTarget, planner: Planner, run: Run, banner_sessions: sessionmaker[Session]
) -> None:
    plan_standard(planner)
    planner.resume()
    assert run(legacy.spec(), legacy.engine).outcome is Outcome.SWAPPED
    banner_engine = banner_sessions.kw["bind"]
    runs_seen_from_the_target: list[list[str]] = []

    def look_at_runs(*_args: object) -> None:
        with banner_sessions() as session:
            outcomes = session.scalars(sa.select(SyncRun.outcome).order_by(SyncRun.id))
            runs_seen_from_the_target.append(list(outcomes))

    sa.event.listen(legacy.engine, "before_cursor_execute", look_at_runs)
    try:
        with (
            recorded_statements(legacy.engine) as target_statements,
            recorded_statements(banner_engine) as banner_statements,
        ):
            result = run(legacy.spec(), legacy.engine)
    finally:
        sa.event.remove(legacy.engine, "before_cursor_execute", look_at_runs)

    assert result.outcome is Outcome.IN_SYNC
    assert runs_seen_from_the_target == [["swapped", "running"]]
    assert [s.split()[0].upper() for s in target_statements] == ["SELECT"]
    writes = [s.split()[0].upper() for s in banner_statements if s.split()[0].upper() in {"INSERT", "UPDATE"}]
    assert writes == ["INSERT", "UPDATE", "UPDATE"]  # the running row; its close and the target's state
    assert _run_row(banner_sessions, result.run_id).outcome == "in_sync"


@SQLITE_TARGET
def test_a_pause_while_the_run_reads_the_target_stops_its_swap(
    legacy: LegacyTarget, planner: Planner, run: Run, banner_sessions: sessionmaker[Session]
) -> None:
    plan_standard(planner)
    planner.resume()

    def operator_pauses(*_args: object) -> None:
        with banner_sessions() as session:
            session.get_one(TargetState, TARGET).paused = True
            session.commit()

    sa.event.listen(legacy.engine, "before_cursor_execute", operator_pauses, once=True)
    result = run(legacy.spec(), legacy.engine)

    assert result.outcome is Outcome.PAUSED
    assert legacy.rows() == []
    assert _run_row(banner_sessions, result.run_id).outcome == "paused"


@SQLITE_TARGET
def test_failed_run_keeps_the_applied_change_and_records_the_error(
    legacy: LegacyTarget, planner: Planner, run: Run, banner_sessions: sessionmaker[Session]
) -> None:
    ids = plan_standard(planner)
    planner.resume()
    applied = planner.schedule(DAY3)
    assert run(legacy.spec(), legacy.engine).outcome is Outcome.SWAPPED
    bad = planner.banner("bad", link=REJECTED_LINK)
    planner.schedule(LAST, ids["a"], bad)

    failed = run(legacy.spec(), legacy.engine)

    record = _run_row(banner_sessions, failed.run_id)
    assert record.outcome == "failed"
    assert record.error == failed.error
    assert record.applied_change_id is None
    state = planner.state()
    assert (state.last_outcome, state.in_sync, state.applied_change_id) == ("failed", False, applied)
    assert state.last_error == failed.error


@SQLITE_TARGET
def test_every_run_is_kept_in_order(
    legacy: LegacyTarget, planner: Planner, run: Run, banner_sessions: sessionmaker[Session]
) -> None:
    plan_standard(planner)
    paused = run(legacy.spec(), legacy.engine)
    planner.resume()
    swapped = run(legacy.spec(), legacy.engine)
    in_sync = run(legacy.spec(), legacy.engine)

    with banner_sessions() as session:
        outcomes = session.execute(sa.select(SyncRun.id, SyncRun.outcome).order_by(SyncRun.id)).all()
    assert [tuple(o) for o in outcomes] == [
        (paused.run_id, "paused"),
        (swapped.run_id, "swapped"),
        (in_sync.run_id, "in_sync"),
    ]


@SQLITE_TARGET
def test_a_run_left_running_by_a_killed_worker_is_closed_by_the_next_run(
    legacy: LegacyTarget, planner: Planner, run: Run, banner_sessions: sessionmaker[Session]
) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    just_now = dt.datetime.now(dt.UTC)
    with banner_sessions() as session:
        abandoned = SyncRun(target=TARGET, trigger="beat", outcome="running", started_at=long_ago)
        other_target = SyncRun(target="other", trigger="beat", outcome="running", started_at=long_ago)
        recent = SyncRun(target=TARGET, trigger="event", outcome="running", started_at=just_now)
        session.add_all([abandoned, other_target, recent])
        session.commit()
        ids = (abandoned.id, other_target.id, recent.id)
    planner.resume()

    run(legacy.spec(), legacy.engine)

    closed, untouched, still_running = (_run_row(banner_sessions, run_id) for run_id in ids)
    assert closed.outcome == "failed"
    assert closed.error is not None
    assert closed.error.startswith("abandoned")
    assert untouched.outcome == "running"  # another target's run is not this run's to judge
    assert still_running.outcome == "running"  # within the time limit it may still be alive
