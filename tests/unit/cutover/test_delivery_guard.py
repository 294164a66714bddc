"""Sending windows: parsing from the targets file and whether a moment falls inside one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from banner_common.targets import SendingWindow, TargetsFileError, load_targets
from sync_worker.delivery_guard import sending_at

TOKYO = ZoneInfo("Asia/Tokyo")
MORNING = SendingWindow(dt.time(9, 0), dt.time(9, 30))
NIGHT = SendingWindow(dt.time(23, 30), dt.time(0, 15))


def tokyo(hour: int, minute: int, day: int = 22) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("moment", "ends_at"),
    [
        (tokyo(9, 0), tokyo(9, 30)),
        (tokyo(9, 29), tokyo(9, 30)),
        (tokyo(23, 30), tokyo(0, 15, day=23)),
        (tokyo(0, 10), tokyo(0, 15)),
    ],
)
def test_a_moment_inside_a_window_waits_until_its_end(moment: dt.datetime, ends_at: dt.datetime) -> None:
    sending = sending_at((MORNING, NIGHT), moment.astimezone(dt.UTC), TOKYO)

    assert sending is not None
    assert sending.ends_at == ends_at


@pytest.mark.parametrize("moment", [tokyo(8, 59), tokyo(9, 30), tokyo(12, 0), tokyo(0, 15), tokyo(23, 29)])
def test_a_moment_outside_every_window_is_not_held(moment: dt.datetime) -> None:
    assert sending_at((MORNING, NIGHT), moment, TOKYO) is None


def test_no_windows_means_the_guard_is_off() -> None:
    assert sending_at((), tokyo(9, 10), TOKYO) is None


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        sending_at((MORNING,), dt.datetime(2026, 11, 22, 9, 10), TOKYO)


def test_the_wait_is_described_in_the_business_time_zone() -> None:
    sending = sending_at((MORNING,), tokyo(9, 10), TOKYO)

    assert sending is not None
    assert sending.describe(TOKYO) == (
        "delivery window 09:00-09:30 (Asia/Tokyo): swap waits until 2026-11-22 09:30 JST"
    )


def _targets(tmp_path: Path, windows: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(
        f'[targets.mass]\nurl = "sqlite://"\ntable = "T"\nsending_windows = {windows}\n', encoding="utf-8"
    )
    return path


def test_targets_file_reads_sending_windows_sorted(tmp_path: Path) -> None:
    spec = load_targets(_targets(tmp_path, '["23:30-00:15", "9:00 - 09:30"]'))["mass"]

    assert spec.sending_windows == (MORNING, NIGHT)
    assert spec.public_dict()["sending_windows"] == ["09:00-09:30", "23:30-00:15"]


def test_sending_windows_are_off_unless_configured(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text('[targets.mass]\nurl = "sqlite://"\ntable = "T"\n', encoding="utf-8")

    assert load_targets(path)["mass"].sending_windows == ()


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ('["9-10"]', "is not HH:MM-HH:MM"),
        ('["25:00-26:00"]', "hour must be in"),
        ('["09:00-09:00"]', "starts when it ends"),
        ('"09:00-10:00"', "is a list"),
    ],
)
def test_a_bad_sending_window_names_the_target(tmp_path: Path, windows: str, message: str) -> None:
    with pytest.raises(TargetsFileError, match=rf"targets\.mass: .*{message}"):
        load_targets(_targets(tmp_path, windows))
