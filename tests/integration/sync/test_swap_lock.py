"""The swap lock: a second writer of the same table waits for it, or fails retryably after its timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from sync_worker.dialects import dialect_for
from sync_worker.dialects.base import lock_key, lock_name
from sync_worker.reconcile import Outcome, RunResult
from sync_worker.target_table import TargetTable
from tests.conftest import MARIADB_URL, POSTGRES_URL
from tests.integration.sync.conftest import LegacyTarget, Planner
from tests.integration.sync.scenario import OUTSIDE_ROW, STANDARD_ROWS, plan_standard, table_after_swap

Run = Callable[..., RunResult]


def _table(legacy: LegacyTarget) -> sa.Table:
    return TargetTable.for_spec(legacy.spec(), ZoneInfo("Asia/Tokyo"), dialect_for(legacy.url)).table


@contextmanager
def holding_swap_lock(legacy: LegacyTarget) -> Iterator[None]:
    """Take the lock the worker takes, on a connection of our own, by the database's own means."""
    table = _table(legacy)
    if legacy.backend == "sqlite":
        assert legacy.engine.url.database
        raw = sqlite3.connect(legacy.engine.url.database, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        return
    engine = sa.create_engine(POSTGRES_URL if legacy.backend == "postgresql" else MARIADB_URL)
    try:
        with engine.connect() as conn:
            if legacy.backend == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key(table))))
                yield
                conn.rollback()
            else:
                assert conn.execute(sa.select(sa.func.get_lock(lock_name(table), 0))).scalar() == 1
                yield
                conn.execute(sa.select(sa.func.release_lock(lock_name(table))))
    finally:
        engine.dispose()


def waiting_swaps(legacy: LegacyTarget) -> int:
    """Sessions blocked on this table's swap lock right now."""
    if legacy.backend == "postgresql":
        # A bigint advisory key shows in pg_locks as its high and low 32 bits.
        key = lock_key(_table(legacy)) & 0xFFFFFFFFFFFFFFFF
        query = sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
        ).bindparams(high=key >> 32, low=key & 0xFFFFFFFF)
        url = POSTGRES_URL
    else:
        query = sa.text(
            # Through ODBC the statement is prepared, so the lock name shows as a placeholder.
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE STATE = 'User lock'"
            " AND (INFO LIKE :name OR INFO LIKE 'SELECT get_lock(?, ?)%')"
        ).bindparams(name=f"%{lock_name(_table(legacy))}%")
        url = MARIADB_URL
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def wait_for(check: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not reached within {timeout} s: {what}")


@pytest.mark.parametrize("legacy", ["postgresql", "mariadb", "mariadb_odbc"], indirect=True)
def test_second_swap_waits_for_the_swap_lock_then_completes(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)
    before = legacy.rows()
    results: list[RunResult] = []

    with holding_swap_lock(legacy):
        worker = threading.Thread(target=lambda: results.append(run(legacy.spec(), legacy.engine)))
        worker.start()
        wait_for(lambda: waiting_swaps(legacy) == 1, "the worker blocks on the swap lock")
        assert legacy.rows() == before
    worker.join(60)

    assert [r.outcome for r in results] == [Outcome.SWAPPED], [r.error for r in results]
    assert legacy.rows() == table_after_swap(STANDARD_ROWS)


def test_swap_lock_timeout_fails_retryably_and_leaves_target_unchanged(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    plan_standard(planner)
    planner.resume()
    legacy.add_row(*OUTSIDE_ROW)
    before = legacy.rows()
    spec = legacy.spec(lock_timeout_seconds=1)

    with holding_swap_lock(legacy):
        blocked = run(spec, legacy.engine)

    assert blocked.outcome is Outcome.FAILED
    assert blocked.retryable, blocked.error
    assert legacy.rows() == before
    assert planner.state().last_error == blocked.error
    retried = run(spec, legacy.engine)
    assert retried.outcome is Outcome.SWAPPED, retried.error
    assert legacy.rows() == table_after_swap(STANDARD_ROWS)
