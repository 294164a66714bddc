"""The targets file: declarations are checked, secrets stay in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from banner_common.delivery import PriorityOrder
from banner_common.settings import Settings
from banner_common.targets import DatetimeStorage, TargetsFileError, load_targets, target_names

REPO = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_and_dev_files_load() -> None:
    example = load_targets(REPO / "deploy" / "targets.example.toml")
    assert example["personalized"].url.startswith("mssql+pyodbc://")
    assert example["mass"].priority_order is PriorityOrder.LARGER_IS_TOP
    dev = load_targets(REPO / "deploy" / "dev" / "targets.toml")
    assert dev["mass"].datetime_storage is DatetimeStorage.NAIVE_UTC
    assert dev["personalized"].columns.image_url == "BANNER_IMG_URL"


def test_secrets_are_filled_from_the_environment_only_when_resolved(tmp_path: Path) -> None:
    path = _write(tmp_path, '[targets.mass]\nurl = "db2+ibm_db://u:${PW}@h:50000/db"\ntable = "T"\n')
    spec = load_targets(path)["mass"]
    assert "${PW}" in spec.public_dict()["url"]
    assert spec.resolved_url({"PW": "hunter2"}) == "db2+ibm_db://u:hunter2@h:50000/db"
    with pytest.raises(TargetsFileError, match="PW"):
        spec.resolved_url({})


def test_literal_passwords_are_hidden_from_display(tmp_path: Path) -> None:
    path = _write(tmp_path, '[targets.mass]\nurl = "postgresql://u:plain@h/db"\ntable = "T"\n')
    assert load_targets(path)["mass"].display_url == "postgresql://u:***@h/db"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[targets.mass]\ntable = "T"\n', "url is required"),
        ('[targets.mass]\nurl = "sqlite://"\ntable = "T; DROP TABLE x"\n', "not a plain SQL identifier"),
        ('[targets.mass]\nurl = "sqlite://"\ntable = "T"\ncolour = "red"\n', "unknown keys"),
        ('[targets.Mass]\nurl = "sqlite://"\ntable = "T"\n', "target name"),
        ('[targets.mass]\nurl = "sqlite://"\ntable = "T"\npriority_order = "random"\n', "targets.mass"),
        ('[targets.mass]\nurl = "sqlite://"\ntable = "T"\n[targets.mass.columns]\ncolour = "C"\n', "columns"),
    ],
)
def test_bad_declarations_are_refused_with_the_place(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(TargetsFileError, match=message):
        load_targets(_write(tmp_path, body))


def test_target_names_come_from_the_file_when_one_is_set() -> None:
    settings = Settings(targets_file=str(REPO / "deploy" / "dev" / "targets.toml"))
    assert target_names(settings) == ("personalized", "mass")
    assert target_names(Settings(target_names=("only",))) == ("only",)
