"""An event sent like the API sends it reaches the target table through the real worker and reconcile core."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from banner_common.events import ScheduleChanged
from banner_common.models import Banner, ScheduleEntry, SyncRun, TargetState
from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE, SYNC_REQUEST
from sync_worker.celery_app import WorkerOptions, make_celery
from tests.conftest import REDIS_URL
from tests.integration.worker.harness import (
    Finished,
    delete_prefixed_keys,
    finished_tasks,
    running_worker,
    unique_prefix,
)

pytestmark = pytest.mark.redis

TARGETS_TOML = """
[targets.mass]
url = "sqlite:///{path}"
table = "mass_banners"
window_days_back = 1
window_days_ahead = 10
"""
TARGET_DDL = """CREATE TABLE mass_banners (
    image_url VARCHAR(2048) NOT NULL,
    link_url VARCHAR(2048) NOT NULL,
    priority INTEGER NOT NULL,
    start_at TIMESTAMP NOT NULL,
    end_at TIMESTAMP NOT NULL)"""


@pytest.fixture
def banner_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "banner.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def target_engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mass.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text(TARGET_DDL))
    yield engine
    engine.dispose()


@pytest.fixture
def settings(banner_url: str, target_engine: sa.Engine, tmp_path: Path) -> Settings:
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text(TARGETS_TOML.format(path=target_engine.url.database), encoding="utf-8")
    return Settings(
        database_url=banner_url,
        redis_url=REDIS_URL,
        targets_file=str(targets_file),
        timezone="Asia/Tokyo",
    )


def schedule_banner(banner_url: str, day: dt.date) -> None:
    """A banner scheduled at the top of `day` for mass, and mass switched on by an operator."""
    engine = sa.create_engine(banner_url)
    with Session(engine) as session, session.begin():
        banner = Banner(
            title="Spring sale",
            image_url="http://banners.test/images/spring.png",
            image_width=600,
            image_height=120,
            image_content_type="image/png",
            image_bytes=1234,
            link_url="https://shop.test/spring",
            campaign_type="sale",
        )
        session.add(banner)
        session.add(ScheduleEntry(banner=banner, date=day, target="mass", position=1))
        session.add(TargetState(name="mass", paused=False, paused_reason=""))
    engine.dispose()


def sync_runs(banner_url: str) -> list[tuple[str, str]]:
    engine = sa.create_engine(banner_url)
    with Session(engine) as session:
        runs = [(r.trigger, r.outcome) for r in session.scalars(sa.select(SyncRun).order_by(SyncRun.id))]
    engine.dispose()
    return runs


def test_schedule_change_event_fills_the_target_table(
    settings: Settings, banner_url: str, target_engine: sa.Engine
) -> None:
    today = dt.datetime.now(settings.tz).date()
    schedule_banner(banner_url, today)
    event = ScheduleChanged(("mass",), today, today, change_id=None, committed_at=dt.datetime.now(dt.UTC))
    prefix = unique_prefix("e2t")
    app = make_celery(settings, options=WorkerOptions(coordination_key_prefix=prefix + "coord:"))

    finished: Finished
    try:
        with finished_tasks() as finished, running_worker(app, prefix + "broker:"):
            app.send_task(SYNC_REQUEST, kwargs={"event": event.to_message()}, queue=SYNC_QUEUE)
            finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == 1, timeout=60)
    finally:
        delete_prefixed_keys(prefix)

    with target_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT image_url, link_url, priority FROM mass_banners")).all()
    assert [tuple(row) for row in rows] == [
        ("http://banners.test/images/spring.png", "https://shop.test/spring", 1)
    ]
    assert finished.of(SYNC_RECONCILE) == [("SUCCESS", "swapped")]
    assert sync_runs(banner_url) == [("event", "swapped")]
