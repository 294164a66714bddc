"""The cut-over commands end to end through `mailbanner`, configured by the environment (SQLite table)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from banner_common.cli import main
from sync_worker.target_state import pause_state
from tests.integration.cutover.conftest import BAD_SEEDS, GOOD_ENTRIES, TARGET, LegacyDb, targets_file


def _env(banner_db_url: str, targets: Path) -> dict[str, str]:
    return {"MAILBANNER_DATABASE_URL": banner_db_url, "MAILBANNER_TARGETS_FILE": str(targets)}


def test_import_legacy_reports_rejected_rows_and_a_summary_and_dry_run_says_so(
    sqlite_legacy: LegacyDb, banner_db_url: str, tmp_path: Path
) -> None:
    env = _env(banner_db_url, targets_file(tmp_path, sqlite_legacy))
    runner = CliRunner()

    dry = runner.invoke(main, ["import-legacy", TARGET, "--dry-run"], env=env)
    real = runner.invoke(main, ["import-legacy", TARGET], env=env)
    again = runner.invoke(main, ["import-legacy", TARGET, "--since", "2026-11-01"], env=env)

    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing was written" in dry.output
    assert dry.output.count("rejected row") == len(BAD_SEEDS)
    assert "link URL: the link must start with http:// or https:// (not javascript:)" in dry.output
    assert real.exit_code == 0, real.output
    assert f"schedule entries: {GOOD_ENTRIES} created" in real.output
    assert "schedule change 1 recorded" in real.output
    assert again.exit_code == 0, again.output
    assert "schedule entries: 0 created" in again.output


def test_import_legacy_names_the_days_over_the_banner_limit(
    sqlite_legacy: LegacyDb, banner_db_url: str, tmp_path: Path
) -> None:
    env = {
        **_env(banner_db_url, targets_file(tmp_path, sqlite_legacy)),
        "MAILBANNER_MAX_BANNERS_PER_DAY": "3",
    }

    result = CliRunner().invoke(main, ["import-legacy", TARGET, "--dry-run"], env=env)

    assert result.exit_code == 0, result.output
    over = [line for line in result.output.splitlines() if line.startswith("over the limit:")]
    assert [line.split()[3] for line in over] == ["2026-11-23", "2026-11-24", "2026-11-25"]
    assert "holds 4 banners, more than MAILBANNER_MAX_BANNERS_PER_DAY (3)" in over[0]


def test_import_legacy_refuses_an_unknown_campaign_type(
    sqlite_legacy: LegacyDb, banner_db_url: str, tmp_path: Path
) -> None:
    env = _env(banner_db_url, targets_file(tmp_path, sqlite_legacy))

    result = CliRunner().invoke(main, ["import-legacy", TARGET, "--campaign-type", "nope"], env=env)

    assert result.exit_code == 2
    assert "--campaign-type" in result.output


def test_prepare_backup_resume_pause_and_restore_commands(
    sqlite_legacy: LegacyDb,
    banner_db_url: str,
    banner_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    env = _env(banner_db_url, targets_file(tmp_path, sqlite_legacy))
    runner = CliRunner()
    original = sqlite_legacy.all_rows()

    prepared = runner.invoke(main, ["target", "prepare", TARGET], env=env)
    backup = runner.invoke(main, ["target", "backup", TARGET], env=env)
    listed = runner.invoke(main, ["target", "backups", TARGET], env=env)
    resumed = runner.invoke(main, ["target", "resume", TARGET], env=env)
    resumed_state = pause_state(banner_sessions, TARGET)
    paused = runner.invoke(main, ["target", "pause", TARGET, "--reason", "rehearsal over"], env=env)
    paused_state = pause_state(banner_sessions, TARGET)
    name = listed.output.split("\t")[0]
    restored = runner.invoke(main, ["target", "restore", TARGET, "--backup", name], env=env)

    assert prepared.exit_code == 0, prepared.output
    assert "MB_BANNER_NEW created, identical to the live table" in prepared.output
    assert backup.exit_code == 0, backup.output
    assert f"rollback: `mailbanner target restore {TARGET} --backup MB_BANNER_BAK_" in backup.output
    assert listed.exit_code == 0, listed.output
    assert f"{len(original)} rows" in listed.output
    assert resumed.exit_code == 0, resumed.output
    assert f"{TARGET}: resumed" in resumed.output
    assert f"{TARGET}: in_sync" in resumed.output or f"{TARGET}: swapped" in resumed.output
    assert not resumed_state.paused
    assert paused.exit_code == 0, paused.output
    assert paused_state == type(paused_state)(True, "rehearsal over")
    assert restored.exit_code == 0, restored.output
    assert sqlite_legacy.all_rows() == original
    assert pause_state(banner_sessions, TARGET).paused


def test_backup_command_refuses_with_the_reason_and_exit_1(
    sqlite_legacy: LegacyDb, banner_db_url: str, tmp_path: Path
) -> None:
    env = _env(banner_db_url, targets_file(tmp_path, sqlite_legacy))
    runner = CliRunner()
    runner.invoke(main, ["target", "prepare", TARGET], env=env)
    sqlite_legacy.execute("CREATE VIEW V_TODAY AS SELECT * FROM MB_BANNER")

    refused = runner.invoke(main, ["target", "backup", TARGET], env=env)

    assert refused.exit_code == 1
    assert "view V_TODAY" in refused.output
    assert "nothing was changed" in refused.output
    assert "MB_BANNER_NEW" in sqlite_legacy.table_names()
