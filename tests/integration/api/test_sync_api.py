"""Sync control and status over HTTP: state lives in the banner database, requests go out as tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from banner_api import create_app
from banner_common.models import NEW_TARGET_REASON, ScheduleChange, SyncRun, TargetState, utcnow
from banner_common.settings import Settings
from banner_common.task_names import SYNC_RECONCILE
from tests.brokers import sent_tasks
from tests.conftest import REDIS_URL
from tests.factories import authorized_client
from tests.processes import wait_until

CONTROL_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/13"


def _add(app: Flask, *rows: object) -> None:
    with app.extensions["mailbanner"].session_factory() as session:
        session.add_all(rows)
        session.commit()


def _status_of(client: FlaskClient, name: str) -> dict[str, object]:
    response = client.get("/api/v1/sync/status")
    assert response.status_code == 200
    by_name = {t["name"]: t for t in response.json["targets"]}
    return by_name[name]


def test_new_targets_report_paused_with_no_run(client: FlaskClient) -> None:
    response = client.get("/api/v1/sync/status")
    assert [t["name"] for t in response.json["targets"]] == ["personalized", "mass"]
    mass = response.json["targets"][1]
    assert mass["paused"] is True
    assert mass["last_run"] is None
    assert mass["pending_changes"] == 0


def test_lag_is_age_of_oldest_unapplied_change_for_that_target(app: Flask, client: FlaskClient) -> None:
    now = utcnow()
    day = dt.date(2026, 12, 1)
    _add(
        app,
        ScheduleChange(
            targets="mass", first_day=day, last_day=day, committed_at=now - dt.timedelta(seconds=300)
        ),
        ScheduleChange(
            targets="mass,personalized",
            first_day=day,
            last_day=day,
            committed_at=now - dt.timedelta(seconds=90),
        ),
        TargetState(name="mass", paused=False, paused_reason="", held=False, applied_change_id=1),
    )
    mass = _status_of(client, "mass")
    personalized = _status_of(client, "personalized")
    assert mass["pending_changes"] == 1
    assert 90 <= float(mass["lag_seconds"]) < 300  # type: ignore[arg-type]
    # The older change named only "mass", so it does not count against "personalized".
    assert personalized["pending_changes"] == 1
    assert 90 <= float(personalized["lag_seconds"]) < 300  # type: ignore[arg-type]


def test_pause_and_resume_are_recorded(client: FlaskClient) -> None:
    resumed = client.post("/api/v1/sync/targets/mass/resume")
    assert resumed.status_code == 200
    assert resumed.json["paused"] is False
    paused = client.post("/api/v1/sync/targets/mass/pause", json={"reason": "cut-over rehearsal"})
    assert paused.json["paused"] is True
    assert _status_of(client, "mass")["paused_reason"] == "cut-over rehearsal"


def test_unknown_target_is_404(client: FlaskClient) -> None:
    response = client.post("/api/v1/sync/targets/nope/pause")
    assert response.status_code == 404
    assert "nope" in response.json["message"]


def test_runs_filter_by_target_and_outcome_with_total(app: Flask, client: FlaskClient) -> None:
    start = utcnow() - dt.timedelta(hours=1)
    runs = [
        SyncRun(target=name, trigger="beat", outcome=outcome, started_at=start + dt.timedelta(minutes=i))
        for i, (name, outcome) in enumerate(
            [("mass", "in_sync"), ("mass", "swapped"), ("personalized", "failed"), ("mass", "swapped")]
        )
    ]
    _add(app, *runs)
    response = client.get("/api/v1/sync/runs?target=mass&outcome=swapped&limit=1")
    assert response.status_code == 200
    assert response.json["total"] == 2
    assert len(response.json["items"]) == 1
    assert response.json["items"][0]["id"] == 4  # newest first


@pytest.mark.parametrize(
    ("query", "field"), [("outcome=great", "outcome"), ("limit=0", "limit"), ("target=nope", "target")]
)
def test_bad_run_filters_are_422_naming_the_field(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/sync/runs?{query}")
    assert response.status_code == 422
    assert field in response.json["errors"]["query"]


def test_sync_now_without_a_broker_is_503(client: FlaskClient) -> None:
    response = client.post("/api/v1/sync/targets/mass/sync", json={"force": True})
    assert response.status_code == 503
    assert "Redis" in response.json["message"]


@pytest.fixture
def control_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(CONTROL_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def test_sync_now_sends_a_forced_reconcile_task(settings: Settings, control_redis: redis.Redis) -> None:
    app = create_app(replace(settings, events_enabled=True, redis_url=CONTROL_REDIS_URL))
    response = authorized_client(app).post("/api/v1/sync/targets/mass/sync", json={"force": True})
    assert response.status_code == 202
    assert [(t.name, t.kwargs) for t in sent_tasks(control_redis)] == [
        (SYNC_RECONCILE, {"target": "mass", "trigger": "manual", "force": True})
    ]
    app.extensions["mailbanner"].engine.dispose()


# Two writers racing on one row: SQLite has one writer at a time.
@pytest.mark.parametrize("banner_db_url", ["postgresql"], indirect=True)
def test_resuming_a_new_target_while_its_first_run_creates_its_state_succeeds(
    app: Flask, client: FlaskClient
) -> None:
    engine = app.extensions["mailbanner"].engine
    first_run = engine.connect()
    first_run.begin()
    first_run.execute(
        sa.insert(TargetState).values(
            name="mass", paused=True, paused_reason=NEW_TARGET_REASON, held=False, applied_change_id=0
        )
    )
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.post, "/api/v1/sync/targets/mass/resume")
        wait_until(lambda: _waiting_on_a_lock(engine), timeout=10, what="the API's insert to wait")
        first_run.commit()
        first_run.close()
        response = answer.result(timeout=30)

    assert response.status_code == 200, response.json
    assert response.json["paused"] is False
    with app.extensions["mailbanner"].session_factory() as session:
        assert session.get(TargetState, "mass").paused is False  # type: ignore[union-attr]


def _waiting_on_a_lock(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        waiting = conn.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query ILIKE '%target_states%'"
            )
        )
    return bool(waiting)
