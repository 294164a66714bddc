"""The delivery guard on a real target: a swap inside a sending window waits, and happens once it ends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from banner_common.delivery import DayWindow
from banner_common.settings import Settings
from banner_common.targets import SendingWindow
from sync_worker.delivery_guard import DELIVERY_WINDOW_ERROR
from sync_worker.dialects import dialect_for
from sync_worker.legacy_import import ImportRules, import_legacy
from sync_worker.reconcile import Outcome, RunResult, reconcile
from sync_worker.swap import read_window
from sync_worker.target_state import set_paused
from sync_worker.target_table import TargetTable
from tests.integration.cutover.conftest import NOW, TARGET, LegacyDb, day, desired_in_window

NOON_WINDOW = SendingWindow(dt.time(11, 30), dt.time(12, 30))  # NOW is 12:00 in Tokyo


def test_a_swap_inside_a_sending_window_waits_and_runs_when_the_window_ends(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    spec = sqlite_legacy.spec(sending_windows=(NOON_WINDOW,))
    target = TargetTable.for_spec(spec, settings.tz, dialect_for(sqlite_legacy.url))
    rules = ImportRules(target, settings.link_max_length, settings.link_allowed_hosts)
    import_legacy(sqlite_legacy.engine, banner_sessions, rules, campaign_type="sale", actor="test", now=NOW)
    set_paused(banner_sessions, TARGET, paused=False, reason="", actor="test")
    before = sqlite_legacy.all_rows()

    def run(at: dt.datetime, force: bool = False) -> RunResult:
        return reconcile(
            spec,
            banner_sessions=banner_sessions,
            target_engine=sqlite_legacy.engine,
            settings=settings,
            trigger="test",
            force=force,
            now=at,
        )

    waiting = run(NOW)
    forced = run(NOW, force=True)
    unchanged = sqlite_legacy.all_rows()
    after_window = run(NOW + dt.timedelta(minutes=30))

    assert waiting.outcome is Outcome.PAUSED
    assert waiting.error is not None
    assert waiting.error.startswith(DELIVERY_WINDOW_ERROR)
    assert "until 2026-11-22 12:30 JST" in waiting.error
    assert forced.outcome is Outcome.PAUSED
    assert unchanged == before
    assert after_window.outcome is Outcome.SWAPPED
    window = read_window(sqlite_legacy.engine, target, DayWindow(day(21), day(25)))
    assert sorted(window, key=repr) == desired_in_window(day(21), day(25))
