"""Development stand-in tables: created in the legacy shape, filled by a real swap, never on real targets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from banner_common.cli import main
from banner_common.delivery import today_in
from banner_common.targets import load_targets
from sync_worker.standins import NotAStandin, create_standin_table
from tests.conftest import POSTGRES_URL
from tests.integration.sync.conftest import Planner

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = f"mb_standin_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield schema
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_standin_has_the_legacy_columns_all_not_null(pg_schema: str) -> None:
    spec = load_targets(REPO / "deploy" / "dev" / "targets.toml")["personalized"]
    spec = type(spec)(**{**spec.__dict__, "url": POSTGRES_URL, "schema": pg_schema})
    engine = sa.create_engine(POSTGRES_URL)
    assert create_standin_table(spec, engine) is True
    assert create_standin_table(spec, engine) is False  # idempotent
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns("t_nl_footer_banner", schema=pg_schema)}
    engine.dispose()
    expected = {"id", "banner_img_url", "banner_link_url", "disp_priority", "disp_start_dt", "disp_end_dt"}
    assert expected | {"upd_user", "upd_dt"} == set(columns)
    assert not any(c["nullable"] for c in columns.values())


def test_standins_are_never_created_on_a_real_delivery_database() -> None:
    spec = load_targets(REPO / "deploy" / "targets.example.toml")["personalized"]
    engine = sa.create_engine("mssql+pyodbc://u:p@nowhere/db?driver=none")
    with pytest.raises(NotAStandin, match="development only"):
        create_standin_table(spec, engine)


def test_dev_targets_get_standins_then_rows_from_a_sync(
    tmp_path: Path, planner: Planner, banner_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the dev targets file points at var/targets/*.db, relative to here
    (tmp_path / "var" / "targets").mkdir(parents=True)
    env = {
        "MAILBANNER_DATABASE_URL": banner_db_url,
        "MAILBANNER_TARGETS_FILE": str(REPO / "deploy/dev/targets.toml"),
    }
    runner = CliRunner()

    created = runner.invoke(main, ["target", "create-standins"], env=env)
    assert created.exit_code == 0, created.output
    assert "personalized: created T_NL_FOOTER_BANNER" in created.output
    assert "mass: created MASS_MAIL_BANNER" in created.output

    today = today_in(ZoneInfo("Asia/Tokyo"))
    first, second = planner.banner("first"), planner.banner("second")
    planner.schedule(today, first, second, target="personalized")
    planner.resume("personalized")
    synced = runner.invoke(main, ["sync", "personalized"], env=env)
    assert synced.exit_code == 0, synced.output
    rows = runner.invoke(main, ["target", "rows", "personalized"], env=env)
    assert rows.exit_code == 0, rows.output
    lines = rows.output.strip().splitlines()
    assert lines[-1].startswith("2 rows in")
    assert [line.split("\t")[1] for line in lines[1:-1]] == ["1", "2"]
