"""Cut-over steps refuse clearly, and change nothing, when a rename would break something or is not ready."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_worker.cutover import backup_target, restore_target
from sync_worker.table_backup import CutoverRefused, prepare
from sync_worker.target_state import pause_state, set_paused
from tests.integration.cutover.conftest import NOW, TARGET, LegacyDb


def _resumed(sessions: sessionmaker[Session]) -> None:
    set_paused(sessions, TARGET, paused=False, reason="", actor="test")


def test_backup_is_refused_while_a_view_reads_the_live_table_and_nothing_changes(
    legacy: LegacyDb, banner_sessions: sessionmaker[Session]
) -> None:
    spec = legacy.spec()
    prepare(spec, legacy.engine, NOW)
    legacy.execute(f"CREATE VIEW {legacy.qualified('V_TODAY')} AS SELECT * FROM {legacy.qualified()}")
    _resumed(banner_sessions)
    tables, rows = legacy.table_names(), legacy.all_rows()

    with pytest.raises(CutoverRefused, match=r"(?i)view .*v_today.*nothing was changed"):
        backup_target(spec, legacy.engine, banner_sessions, actor="test", now=NOW)

    assert legacy.table_names() == tables
    assert legacy.all_rows() == rows
    assert not pause_state(banner_sessions, TARGET).paused


def test_backup_is_refused_while_a_foreign_key_references_the_live_table(
    legacy: LegacyDb, banner_sessions: sessionmaker[Session]
) -> None:
    spec = legacy.spec()
    prepare(spec, legacy.engine, NOW)
    legacy.execute(
        f"CREATE TABLE {legacy.qualified('CLICKS')} (ID integer PRIMARY KEY, BANNER_ID integer,"
        f" CONSTRAINT fk_clicks_banner FOREIGN KEY (BANNER_ID) REFERENCES {legacy.qualified()} (ID))"
    )
    tables = legacy.table_names()

    with pytest.raises(CutoverRefused, match=r"foreign key fk_clicks_banner"):
        backup_target(spec, legacy.engine, banner_sessions, actor="test", now=NOW)

    assert legacy.table_names() == tables


def test_backup_is_refused_without_a_prepared_table(
    legacy: LegacyDb, banner_sessions: sessionmaker[Session]
) -> None:
    _resumed(banner_sessions)

    with pytest.raises(CutoverRefused, match=r"target prepare"):
        backup_target(legacy.spec(), legacy.engine, banner_sessions, actor="test", now=NOW)

    assert not pause_state(banner_sessions, TARGET).paused


def test_prepare_reports_a_new_table_that_differs_and_backup_refuses_it(
    legacy: LegacyDb, banner_sessions: sessionmaker[Session]
) -> None:
    spec = legacy.spec()
    legacy.execute(
        f"CREATE TABLE {legacy.qualified('MB_BANNER_NEW')}"
        " (ID integer PRIMARY KEY, BANNER_IMG_URL varchar(10))"
    )

    report = prepare(spec, legacy.engine, NOW)

    assert not report.ok
    assert not report.created
    assert any("columns" in difference for difference in report.differences)
    with pytest.raises(CutoverRefused, match=r"not ready"):
        backup_target(spec, legacy.engine, banner_sessions, actor="test", now=NOW)
    assert legacy.all_rows("MB_BANNER_NEW") == []


def test_prepared_table_that_received_rows_is_not_swapped_in(
    legacy: LegacyDb, banner_sessions: sessionmaker[Session]
) -> None:
    spec = legacy.spec()
    prepare(spec, legacy.engine, NOW)
    legacy.execute(
        f"INSERT INTO {legacy.qualified('MB_BANNER_NEW')} (BANNER_IMG_URL, LINK_URL, DISP_PRIORITY,"
        " DISP_START_DT, DISP_END_DT, UPD_USER, UPD_DT) SELECT BANNER_IMG_URL, LINK_URL, DISP_PRIORITY,"
        f" DISP_START_DT, DISP_END_DT, UPD_USER, UPD_DT FROM {legacy.qualified()}"
    )

    with pytest.raises(CutoverRefused, match=r"must be empty"):
        backup_target(spec, legacy.engine, banner_sessions, actor="test", now=NOW)


def test_restore_names_the_known_backups_when_given_another_table(
    legacy: LegacyDb, banner_sessions: sessionmaker[Session]
) -> None:
    spec = legacy.spec()
    prepare(spec, legacy.engine, NOW)
    swapped = backup_target(spec, legacy.engine, banner_sessions, actor="test", now=NOW)
    tables = legacy.table_names()

    with pytest.raises(CutoverRefused, match=rf"is not a backup .*{swapped.kept_as}"):
        restore_target(spec, legacy.engine, banner_sessions, "MB_BANNER_NEW", actor="test", now=NOW)

    assert legacy.table_names() == tables
