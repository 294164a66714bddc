"""Targets-file keys the swap relies on: lock timeout, delete share, columns written once."""

from __future__ import annotations

from pathlib import Path

import pytest

from banner_common.targets import TargetsFileError, load_targets

BASE = '[targets.mass]\nurl = "sqlite://"\ntable = "T"\n'


def _load(tmp_path: Path, extra: str) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    load_targets(path)


def test_lock_timeout_defaults_to_a_minute_and_can_be_set(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_targets(path)["mass"].lock_timeout_seconds == 60
    path.write_text(BASE + "lock_timeout_seconds = 5\n", encoding="utf-8")
    assert load_targets(path)["mass"].lock_timeout_seconds == 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("lock_timeout_seconds = 0\n", "lock_timeout_seconds must be at least 1"),
        ("max_delete_share = 1.5\n", "max_delete_share must be in"),
        ('now_columns = ["priority"]\n', "columns written twice"),
        ('now_columns = ["UPD_DT"]\n[targets.mass.constants]\nUPD_DT = "x"\n', "columns written twice"),
    ],
)
def test_impossible_swap_settings_are_rejected(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(TargetsFileError, match=message):
        _load(tmp_path, extra)
