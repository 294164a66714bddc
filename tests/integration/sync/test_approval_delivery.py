"""With approval on, the worker delivers only approved entries, and an approval reaches the next swap."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from banner_api import create_app
from banner_api.publish import NullPublisher
from banner_common.delivery import today_in
from banner_common.settings import Settings
from banner_common.targets import ColumnMap, TargetSpec
from sync_worker.bootstrap import make_target_engine
from sync_worker.reconcile import Outcome, reconcile
from sync_worker.standins import create_standin_table
from tests.factories import insert_banner, user_client

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def approval_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, approval_required=True), publisher=NullPublisher())
    yield app
    app.extensions["mailbanner"].engine.dispose()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[tuple[TargetSpec, sa.Engine]]:
    spec = TargetSpec(
        name="mass",
        url=f"sqlite:///{tmp_path / 'mass.db'}",
        table="MASS_MAIL_BANNER",
        columns=ColumnMap("IMG_URL", "LNK_URL", "PRIORITY_NO", "START_TS", "END_TS"),
        window_days_back=1,
        window_days_ahead=10,
    )
    engine = make_target_engine(spec)
    create_standin_table(spec, engine)
    yield spec, engine
    engine.dispose()


def _links(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.scalars(sa.text("SELECT LNK_URL FROM MASS_MAIL_BANNER ORDER BY START_TS, PRIORITY_NO"))
        )


def test_pending_entry_is_not_delivered_until_another_approver_approves_it(
    approval_app: Flask, target: tuple[TargetSpec, sa.Engine]
) -> None:
    spec, engine = target
    svc = approval_app.extensions["mailbanner"]
    planner = user_client(approval_app, "pia", ["planner", "operator"])
    approver = user_client(approval_app, "ann", ["approver"])
    assert planner.post("/api/v1/sync/targets/mass/resume").status_code == 200
    banner = insert_banner(approval_app, link_url="https://shop.example.com/pending")
    day = today_in(TOKYO) + dt.timedelta(days=1)
    placed = planner.post(
        "/api/v1/schedule", json={"banner_id": banner, "start_date": day.isoformat(), "targets": ["mass"]}
    )
    assert placed.status_code == 201, placed.json
    entry_id = placed.json["entries"][0]["id"]

    def run() -> Outcome:
        result = reconcile(
            spec,
            banner_sessions=svc.session_factory,
            target_engine=engine,
            settings=svc.settings,
            trigger="event",
        )
        return result.outcome

    assert run() is Outcome.IN_SYNC  # the pending entry yields no row: the empty target is right
    assert _links(engine) == []

    assert approver.post(f"/api/v1/schedule/entries/{entry_id}/approve").status_code == 200
    assert run() is Outcome.SWAPPED
    assert _links(engine) == ["https://shop.example.com/pending"]
