"""reconcile() against legacy tables on PostgreSQL, MariaDB (PyMySQL and ODBC) and SQLite."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import sqlalchemy as sa

from sync_worker.reconcile import Outcome, RunResult
from tests.factories import recorded_statements
from tests.integration.sync.conftest import REJECTED_LINK, LegacyTarget, Planner, writes
from tests.integration.sync.scenario import (
    DAY1,
    DAY2,
    DAY3,
    LAST,
    OUTSIDE_ROW,
    STANDARD_ROWS,
    full,
    plan_standard,
    row,
    table_after_swap,
)

Run = Callable[..., RunResult]


def test_first_reconcile_writes_exactly_the_desired_rows_and_keeps_rows_outside_the_window(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)

    result = run(legacy.spec(), legacy.engine)

    assert result.outcome is Outcome.SWAPPED, result.error
    assert (result.rows_deleted, result.rows_inserted) == (0, 4)
    assert legacy.rows() == table_after_swap(STANDARD_ROWS)


def test_second_reconcile_is_in_sync_and_sends_no_write(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    plan_standard(planner)
    planner.resume()
    assert run(legacy.spec(), legacy.engine).outcome is Outcome.SWAPPED

    with recorded_statements(legacy.engine) as statements:
        result = run(legacy.spec(), legacy.engine)

    assert result.outcome is Outcome.IN_SYNC
    assert any("SELECT" in s.upper() for s in statements)
    assert writes(statements) == []
    assert legacy.rows() == full(STANDARD_ROWS)


def test_failed_insert_leaves_target_unchanged_and_next_run_repairs_it(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    ids = plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)
    spec = legacy.spec(chunk_size=1)
    assert run(spec, legacy.engine).outcome is Outcome.SWAPPED
    before = legacy.rows()
    d = planner.banner("d")
    bad = planner.banner("bad", link=REJECTED_LINK)
    planner.schedule(DAY3, d)
    planner.schedule(LAST, ids["a"], bad)  # the last of six single-row chunks breaks the CHECK constraint

    with recorded_statements(legacy.engine) as statements:
        failed = run(spec, legacy.engine)

    assert failed.outcome is Outcome.FAILED
    assert failed.error is not None
    assert "constraint" in failed.error.lower()
    assert not failed.retryable
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 6
    assert legacy.rows() == before

    planner.set_link(bad, "https://shop.test/bad")
    repaired = run(spec, legacy.engine)

    assert repaired.outcome is Outcome.SWAPPED, repaired.error
    expected = [*STANDARD_ROWS, row("d", 1, DAY3), row("bad", 2, LAST)]
    assert legacy.rows() == table_after_swap(expected)


def test_rows_edited_duplicated_or_deleted_by_hand_are_restored(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)
    assert run(legacy.spec(), legacy.engine).outcome is Outcome.SWAPPED
    table = legacy.table
    with legacy.engine.begin() as conn:
        conn.execute(
            sa.update(table).where(table.c.DISP_PRIORITY == 2).values(LINK_URL="https://hand.test/edited")
        )
        conn.execute(sa.delete(table).where(table.c.BANNER_IMG_URL == "https://img.test/c.png"))
    legacy.add_row(*row("a", 1, DAY1))  # an exact duplicate of a desired row

    result = run(legacy.spec(), legacy.engine)

    assert result.outcome is Outcome.SWAPPED, result.error
    assert (result.rows_deleted, result.rows_inserted) == (4, 4)
    assert legacy.rows() == table_after_swap(STANDARD_ROWS)


def test_paused_or_disabled_target_is_never_written(legacy: LegacyTarget, planner: Planner, run: Run) -> None:
    plan_standard(planner)
    legacy.add_row(*OUTSIDE_ROW)
    before = legacy.rows()

    with recorded_statements(legacy.engine) as statements:
        new_target = run(legacy.spec(), legacy.engine)
        planner.resume()
        disabled = run(legacy.spec(enabled=False), legacy.engine)

    assert (new_target.outcome, disabled.outcome) == (Outcome.PAUSED, Outcome.PAUSED)
    assert statements == []
    assert legacy.rows() == before


def test_new_target_starts_paused_with_a_reason(legacy: LegacyTarget, planner: Planner, run: Run) -> None:
    run(legacy.spec(), legacy.engine)

    state = planner.state()
    assert state.paused
    assert state.paused_reason == "new target"
    assert state.last_outcome == "paused"


def test_held_swap_writes_nothing_until_forced(legacy: LegacyTarget, planner: Planner, run: Run) -> None:
    plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)
    assert run(legacy.spec(), legacy.engine).outcome is Outcome.SWAPPED
    for day in (DAY1, DAY2, LAST):
        planner.schedule(day)  # the whole window emptied: suspicious
    before = legacy.rows()

    with recorded_statements(legacy.engine) as statements:
        held = run(legacy.spec(), legacy.engine)
        held_again = run(legacy.spec(), legacy.engine)

    assert (held.outcome, held_again.outcome) == (Outcome.HELD, Outcome.HELD)
    assert writes(statements) == []
    assert legacy.rows() == before
    state = planner.state()
    assert state.held
    assert state.held_diff is not None
    assert (state.held_diff["removed"], state.held_diff["added"]) == (4, 0)
    assert len(state.held_diff["samples_removed"]) == 4
    assert "no rows" in state.held_diff["reason"]

    forced = run(legacy.spec(), legacy.engine, force=True)

    assert forced.outcome is Outcome.SWAPPED
    assert forced.rows_deleted == 4
    assert legacy.delivery_rows() == [OUTSIDE_ROW]
    cleared = planner.state()
    assert not cleared.held
    assert cleared.held_diff is None


def test_swap_shrinking_the_window_by_more_than_the_allowed_share_is_held(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    ids = plan_standard(planner)
    planner.resume()
    spec = legacy.spec(max_delete_share=0.25)
    assert run(spec, legacy.engine).outcome is Outcome.SWAPPED
    planner.schedule(DAY1, ids["b"], ids["a"])  # a reorder rewrites rows but loses none
    assert run(spec, legacy.engine).outcome is Outcome.SWAPPED
    planner.schedule(DAY1)  # emptying a day loses 2 of the window's 4 rows

    held = run(spec, legacy.engine)
    allowed = run(replace(spec, max_delete_share=0.5), legacy.engine)

    assert held.outcome is Outcome.HELD
    assert allowed.outcome is Outcome.SWAPPED
    assert legacy.delivery_rows() == sorted([row("c", 1, DAY2), row("a", 1, LAST)], key=repr)


def test_concurrent_reconciles_leave_exactly_the_desired_rows(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)
    start = threading.Barrier(4)
    results: list[RunResult] = []

    def reconcile_in_thread() -> None:
        start.wait()
        results.append(run(legacy.spec(), legacy.engine))

    threads = [threading.Thread(target=reconcile_in_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 4
    assert {r.outcome for r in results} <= {Outcome.SWAPPED, Outcome.IN_SYNC}, [r.error for r in results]
    assert legacy.rows() == table_after_swap(STANDARD_ROWS)
