"""After real swaps, the worker's and the API's /metrics agree with the runs recorded in the database."""

from __future__ import annotations

import datetime as dt
import math

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from banner_common import metrics as names
from banner_common.models import ScheduleChange, SyncRun
from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE
from tests.integration.observability.ops import (
    TARGETS,
    families,
    parse,
    place,
    resume,
    scrape_api,
    services,
    value,
    worker_with_metrics,
)

pytestmark = pytest.mark.redis


def _runs(app: Flask) -> list[SyncRun]:
    with services(app).session_factory() as session:
        return list(session.scalars(sa.select(SyncRun).order_by(SyncRun.id)))


def _changes_for(app: Flask, target: str) -> int:
    with services(app).session_factory() as session:
        changes = session.scalars(sa.select(ScheduleChange)).all()
    return sum(1 for change in changes if target in change.target_list)


def test_worker_metrics_count_the_recorded_runs_rows_and_carried_changes(
    ops_app: Flask, ops_client: FlaskClient, ops_settings: Settings
) -> None:
    today = dt.datetime.now(ops_settings.tz).date()
    place(ops_client, today, list(TARGETS), title="Spring sale")
    place(ops_client, today + dt.timedelta(days=1), ["mass"], title="Autumn sale")
    resume(ops_client, *TARGETS)

    with worker_with_metrics(ops_settings) as worker:
        before = parse(worker.scrape())
        assert worker.reconcile(*TARGETS) == ["swapped", "swapped"]
        assert worker.reconcile("mass") == ["in_sync"]
        text = worker.scrape()
    after = parse(text)

    assert families(text) >= names.WORKER_FAMILIES
    runs = _runs(ops_app)
    assert len(runs) == 3
    for target in TARGETS:
        mine = [run for run in runs if run.target == target]
        for outcome in ("swapped", "in_sync"):
            recorded = sum(1 for run in mine if run.outcome == outcome)
            key = {"target": target, "outcome": outcome}
            counted = value(after, "mailbanner_sync_runs_total", **key) - value(
                before, "mailbanner_sync_runs_total", **key
            )
            assert counted == recorded, (target, outcome)
            durations = value(after, "mailbanner_sync_run_duration_seconds_count", **key) - value(
                before, "mailbanner_sync_run_duration_seconds_count", **key
            )
            assert durations == recorded
        for column in ("rows_inserted", "rows_deleted"):
            sample = f"mailbanner_sync_{column}_total"
            counted = value(after, sample, target=target) - value(before, sample, target=target)
            assert counted == sum(getattr(run, column) for run in mine)
        # Every change of the target was carried by exactly one swap: one latency observation each.
        latency = "mailbanner_sync_change_applied_latency_seconds_count"
        observed = value(after, latency, target=target) - value(before, latency, target=target)
        assert observed == _changes_for(ops_app, target) > 0
    inserted = sum(run.rows_inserted for run in runs)
    assert inserted == 3  # spring on both targets, autumn on mass
    assert after[("mailbanner_sync_queue_length", (("queue", SYNC_QUEUE),))] == 0


def test_api_metrics_show_zero_lag_and_a_recent_success_after_the_swap(
    ops_app: Flask, ops_client: FlaskClient, ops_settings: Settings
) -> None:
    today = dt.datetime.now(ops_settings.tz).date()
    place(ops_client, today, list(TARGETS))
    resume(ops_client, *TARGETS)
    waiting = parse(scrape_api(ops_client))
    for target in TARGETS:
        assert value(waiting, "mailbanner_sync_pending_changes", target=target) == 1
        assert value(waiting, "mailbanner_sync_lag_seconds", target=target) > 0
        assert value(waiting, "mailbanner_sync_seconds_since_success", target=target) == math.inf

    with worker_with_metrics(ops_settings) as worker:
        assert worker.reconcile(*TARGETS) == ["swapped", "swapped"]

    text = scrape_api(ops_client)
    synced = parse(text)
    only_once_used = {names.EVENTS_PUBLISHED, names.EVENTS_PUBLISH_FAILED, names.READ_CACHE_LOOKUPS}
    assert names.API_FAMILIES - only_once_used <= families(text)
    assert value(synced, "mailbanner_banner_db_up") == 1
    for target in TARGETS:
        assert value(synced, "mailbanner_sync_lag_seconds", target=target) == 0
        assert value(synced, "mailbanner_sync_pending_changes", target=target) == 0
        assert 0 <= value(synced, "mailbanner_sync_seconds_since_success", target=target) < 3600
        assert value(synced, "mailbanner_sync_consecutive_failures", target=target) == 0
        assert value(synced, "mailbanner_sync_held", target=target) == 0
        assert value(synced, "mailbanner_sync_paused", target=target) == 0
        assert value(synced, "mailbanner_kpi_banners_live_today", target=target) == 1
