"""The `mailbanner sync` and `mailbanner target` commands, configured through the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from banner_common.cli import main
from banner_common.models import SyncRun
from tests.integration.sync.conftest import TARGET, LegacyTarget, Planner
from tests.integration.sync.scenario import AFTER, STANDARD_ROWS, full, plan_standard, row

SQLITE_TARGET = pytest.mark.parametrize("legacy", ["sqlite"], indirect=True)


def _targets_file(tmp_path: Path, legacy: LegacyTarget, table: str = "MB_BANNER") -> Path:
    lines = [
        f"[targets.{TARGET}]",
        f'url = "{legacy.url}"',
        f'table = "{table}"',
        # The command runs at the real date: a wide window takes in the whole standard schedule.
        "window_days_back = 400",
        "window_days_ahead = 400",
        'now_columns = ["UPD_DT"]',
        f"[targets.{TARGET}.columns]",
        'image_url = "BANNER_IMG_URL"',
        'link_url = "LINK_URL"',
        'priority = "DISP_PRIORITY"',
        'start_at = "DISP_START_DT"',
        'end_at = "DISP_END_DT"',
        f"[targets.{TARGET}.constants]",
        'UPD_USER = "mailbanner"',
    ]
    path = tmp_path / "targets.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _env(banner_db_url: str, targets: Path) -> dict[str, str]:
    return {"MAILBANNER_DATABASE_URL": banner_db_url, "MAILBANNER_TARGETS_FILE": str(targets)}


@SQLITE_TARGET
def test_sync_command_reports_paused_then_swaps_after_resume(
    legacy: LegacyTarget, planner: Planner, banner_db_url: str, tmp_path: Path
) -> None:
    plan_standard(planner)
    env = _env(banner_db_url, _targets_file(tmp_path, legacy))
    runner = CliRunner()

    paused = runner.invoke(main, ["sync", TARGET], env=env)
    planner.resume()
    swapped = runner.invoke(main, ["sync", TARGET], env=env)

    assert paused.exit_code == 1
    assert f"{TARGET}: paused" in paused.output
    assert swapped.exit_code == 0, swapped.output
    assert f"{TARGET}: swapped" in swapped.output
    assert "inserted 5" in swapped.output
    assert legacy.delivery_rows() == sorted([*STANDARD_ROWS, row("b", 1, AFTER)], key=repr)
    with planner.sessions() as session:
        assert {r.trigger for r in session.query(SyncRun)} == {"manual"}


@SQLITE_TARGET
def test_sync_command_shows_the_diff_of_a_held_swap_and_force_applies_it(
    legacy: LegacyTarget, planner: Planner, banner_db_url: str, tmp_path: Path
) -> None:
    planner.resume()
    for image in ("x", "y"):
        legacy.add_row(image, "https://shop.test/x", 1, *full(STANDARD_ROWS)[0][3:5])
    env = _env(banner_db_url, _targets_file(tmp_path, legacy))
    runner = CliRunner()

    held = runner.invoke(main, ["sync", TARGET], env=env)
    forced = runner.invoke(main, ["sync", TARGET, "--force"], env=env)

    assert held.exit_code == 1
    assert f"{TARGET}: held" in held.output
    assert '"removed": 2' in held.output
    assert forced.exit_code == 0, forced.output
    assert legacy.rows() == []


@SQLITE_TARGET
def test_target_list_and_check(legacy: LegacyTarget, banner_db_url: str, tmp_path: Path) -> None:
    env = _env(banner_db_url, _targets_file(tmp_path, legacy))
    runner = CliRunner()

    listed = runner.invoke(main, ["target", "list"], env=env)
    checked = runner.invoke(main, ["target", "check", TARGET], env=env)
    broken = _targets_file(tmp_path, legacy, table="NOT_THERE")
    mismatch = runner.invoke(main, ["target", "check", TARGET], env=_env(banner_db_url, broken))

    assert listed.exit_code == 0, listed.output
    assert TARGET in listed.output
    assert "MB_BANNER" in listed.output
    assert "new (starts paused)" in listed.output
    assert checked.exit_code == 0, checked.output
    assert f"{TARGET} (MB_BANNER): ok" in checked.output
    assert mismatch.exit_code == 1
    assert "table NOT_THERE not found" in mismatch.output


def test_unknown_target_is_a_clear_error(banner_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text('[targets.mass]\nurl = "sqlite://"\ntable = "T"\n', encoding="utf-8")

    result = CliRunner().invoke(main, ["sync", "nope"], env=_env(banner_db_url, path))

    assert result.exit_code == 1
    assert "unknown target 'nope'; configured: mass" in result.output
