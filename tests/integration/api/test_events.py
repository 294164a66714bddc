"""Change events: published to Redis only after the commit, never for a refused request, never fatal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from banner_api import create_app
from banner_common.events import ScheduleChanged
from banner_common.models import ScheduleChange, ScheduleEntry
from banner_common.settings import Settings
from banner_common.task_names import SYNC_REQUEST
from tests.brokers import private_redis, sent_tasks
from tests.conftest import REDIS_URL
from tests.factories import authorized_client, insert_banner

EVENTS_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/14"  # a database no worker test consumes from


@pytest.fixture
def events_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(EVENTS_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def publishing_app(settings: Settings, events_redis: redis.Redis) -> Iterator[Flask]:
    app = create_app(replace(settings, events_enabled=True, redis_url=EVENTS_REDIS_URL))
    yield app
    app.extensions["mailbanner"].engine.dispose()


def _count(app: Flask, model: type) -> int:
    with app.extensions["mailbanner"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_committed_change_publishes_one_event_naming_targets_and_span(
    publishing_app: Flask, events_redis: redis.Redis
) -> None:
    banner_id = insert_banner(publishing_app)
    response = authorized_client(publishing_app).post(
        "/api/v1/schedule",
        json={
            "banner_id": banner_id,
            "start_date": "2026-12-01",
            "end_date": "2026-12-03",
            "targets": ["mass"],
        },
        headers={"X-Request-ID": "planner-req-1"},
    )
    assert response.status_code == 201, response.json

    tasks = sent_tasks(events_redis)
    assert [t.name for t in tasks] == [SYNC_REQUEST]
    event = ScheduleChanged.from_message(tasks[0].kwargs["event"])
    assert event.targets == ("mass",)
    assert (event.first_day, event.last_day) == (dt.date(2026, 12, 1), dt.date(2026, 12, 3))
    assert event.request_id == "planner-req-1"
    with publishing_app.extensions["mailbanner"].session_factory() as session:
        change = session.scalars(select(ScheduleChange)).one()
    assert event.change_id == change.id


def test_refused_request_publishes_nothing_and_records_no_change(
    publishing_app: Flask, events_redis: redis.Redis
) -> None:
    banner_id = insert_banner(publishing_app, archived=True)
    response = authorized_client(publishing_app).post(
        "/api/v1/schedule", json={"banner_id": banner_id, "start_date": "2026-12-01"}
    )
    assert response.status_code == 422
    assert sent_tasks(events_redis) == []
    assert _count(publishing_app, ScheduleChange) == 0
    assert _count(publishing_app, ScheduleEntry) == 0


def test_rolled_back_unit_of_work_publishes_nothing(publishing_app: Flask, events_redis: redis.Redis) -> None:
    svc = publishing_app.extensions["mailbanner"]

    def failing_use_case() -> None:
        with svc.unit_of_work() as uow:
            uow.record_change(["mass"], dt.date(2026, 12, 1), dt.date(2026, 12, 1), "test")
            uow.session.flush()
            raise RuntimeError("the request failed before commit")

    with pytest.raises(RuntimeError):
        failing_use_case()
    assert sent_tasks(events_redis) == []
    assert _count(publishing_app, ScheduleChange) == 0


def test_request_succeeds_while_redis_is_stopped_and_failure_is_counted(settings: Settings) -> None:
    with private_redis() as (url, process):
        app = create_app(replace(settings, events_enabled=True, redis_url=url))
        client = authorized_client(app)
        banner_id = insert_banner(app)
        first = client.post("/api/v1/schedule", json={"banner_id": banner_id, "start_date": "2026-12-01"})
        assert first.status_code == 201
        assert sent_tasks(redis.Redis.from_url(url))[0].name == SYNC_REQUEST

        process.kill()
        process.wait()
        second = client.post("/api/v1/schedule", json={"banner_id": banner_id, "start_date": "2026-12-02"})
        assert second.status_code == 201, second.json

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json["checks"]["redis"].startswith("unavailable")
        assert ready.json["events"] == {"published": 1, "failed": 1}
        # The change is recorded in the banner database, so the beat's reconcile still delivers it.
        assert _count(app, ScheduleChange) == 2
        app.extensions["mailbanner"].engine.dispose()


def test_a_change_naming_hundreds_of_targets_is_recorded_whole(app: Flask) -> None:
    names = [f"newsletter-target-{i:03d}" for i in range(200)]
    svc = app.extensions["mailbanner"]
    with svc.unit_of_work() as uow:
        uow.record_change(names, dt.date(2026, 12, 1), dt.date(2026, 12, 1), "placed")
        uow.commit()
    with svc.session_factory() as session:
        change = session.scalars(select(ScheduleChange)).one()
    assert change.target_list == tuple(sorted(names))
