"""The whole cut-over rehearsed on real PostgreSQL and MariaDB: import, prepare, backup, resume, restore."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from banner_common.delivery import DayWindow, delivery_rows
from banner_common.models import AuditEvent, Banner, ScheduleChange, ScheduleEntry
from banner_common.settings import Settings
from sync_worker.cutover import backup_target, restore_target
from sync_worker.dialects import dialect_for
from sync_worker.legacy_import import ImportRules, import_legacy
from sync_worker.reconcile import Outcome, reconcile
from sync_worker.table_backup import list_backups, prepare
from sync_worker.target_state import pause_state, set_paused
from sync_worker.target_table import TargetTable
from tests.integration.cutover.conftest import (
    BAD_SEEDS,
    GOOD_BANNERS,
    GOOD_ENTRIES,
    GOOD_SEEDS,
    NOW,
    TARGET,
    LegacyDb,
    day,
    desired_in_window,
)


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        return (
            session.scalar(sa.select(sa.func.count()).select_from(Banner)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(ScheduleEntry)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(ScheduleChange)) or 0,
        )


def test_rehearsal_imports_swaps_in_syncs_and_restores_the_original_table(
    legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    spec = legacy.spec()
    original = legacy.all_rows()
    target = TargetTable.for_spec(spec, settings.tz, dialect_for(legacy.url))
    rules = ImportRules(target, settings.link_max_length, settings.link_allowed_hosts)

    # Import, twice: the second run finds every day planned already.
    first = import_legacy(
        legacy.engine, banner_sessions, rules, campaign_type="information", actor="rehearsal", now=NOW
    )
    after_first = _counts(banner_sessions)
    again = import_legacy(
        legacy.engine, banner_sessions, rules, campaign_type="information", actor="rehearsal", now=NOW
    )

    assert first.rows_read == len(GOOD_SEEDS) + len(BAD_SEEDS)
    assert sorted(r.reason.split(":")[0].split(" (")[0] for r in first.rejected) == sorted(
        reason for _, reason in BAD_SEEDS
    )
    assert (first.banners_created, first.entries_created) == (GOOD_BANNERS, GOOD_ENTRIES)
    assert after_first == (GOOD_BANNERS, GOOD_ENTRIES, 1)
    assert (again.banners_created, again.entries_created, again.days_imported) == (0, 0, 0)
    assert again.days_already_planned == first.days_imported
    assert again.change_id is None
    assert _counts(banner_sessions) == after_first
    with banner_sessions() as session:
        change = session.get_one(ScheduleChange, first.change_id)
        assert (change.targets, change.first_day, change.last_day) == (
            TARGET,
            first.first_day,
            first.last_day,
        )
        assert session.scalar(sa.select(AuditEvent.action)) == "legacy.import"

    # Prepare: an empty copy of the live schema, compared column by column.
    prepared = prepare(spec, legacy.engine, NOW)
    assert prepared.ok, prepared.differences
    assert prepared.created

    # Backup: sync paused, the original renamed aside, the empty copy live.
    swapped = backup_target(spec, legacy.engine, banner_sessions, actor="rehearsal", now=NOW)
    assert pause_state(banner_sessions, TARGET).paused
    assert legacy.all_rows() == []
    assert [(b.name, b.rows) for b in list_backups(spec, legacy.engine)] == [(swapped.kept_as, len(original))]
    assert legacy.all_rows(swapped.kept_as) == original

    # Resume: the first swap fills the new live table with exactly the schedule's rows.
    set_paused(banner_sessions, TARGET, paused=False, reason="", actor="rehearsal")
    result = reconcile(
        spec,
        banner_sessions=banner_sessions,
        target_engine=legacy.engine,
        settings=settings,
        trigger="test",
        now=NOW,
    )
    assert result.outcome is Outcome.SWAPPED, result.error
    assert legacy.delivery_rows() == desired_in_window(day(21), day(25))
    with banner_sessions() as session:
        schedule = target.keys_of(delivery_rows(session, TARGET, DayWindow(day(21), day(25)), settings.tz))
    assert legacy.delivery_rows() == sorted(schedule, key=repr)

    # Restore: the original table is back, row for row and column for column, and sync is paused.
    restored = restore_target(
        spec, legacy.engine, banner_sessions, swapped.kept_as, actor="rehearsal", now=NOW.replace(minute=5)
    )
    assert legacy.all_rows() == original
    assert pause_state(banner_sessions, TARGET).paused
    assert {b.name for b in list_backups(spec, legacy.engine)} == {restored.kept_as}
    assert len(legacy.all_rows(restored.kept_as)) == len(desired_in_window(day(21), day(25)))
