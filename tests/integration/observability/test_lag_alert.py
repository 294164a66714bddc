"""With the worker stopped, lag grows and the lag alert would fire; once it runs, lag is back to zero."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from banner_common.models import ScheduleChange
from banner_common.settings import Settings
from tests.integration.observability.alert_rules import firing
from tests.integration.observability.ops import (
    TARGETS,
    parse,
    place,
    resume,
    scrape_api,
    services,
    value,
    worker_with_metrics,
)

pytestmark = pytest.mark.redis

STOPPED_FOR = dt.timedelta(minutes=10)


def _lag(client: FlaskClient) -> dict[str, float]:
    samples = parse(scrape_api(client))
    return {target: value(samples, "mailbanner_sync_lag_seconds", target=target) for target in TARGETS}


def _backdate_changes_after(app: Flask, change_id: int, by: dt.timedelta) -> None:
    """Move the commit time of the newest changes back, as if the worker had been stopped that long."""
    with services(app).session_factory() as session:
        for change in session.scalars(sa.select(ScheduleChange).where(ScheduleChange.id > change_id)):
            change.committed_at = change.committed_at - by
        session.commit()


def _newest_change(app: Flask) -> int:
    with services(app).session_factory() as session:
        return session.scalar(sa.select(sa.func.max(ScheduleChange.id))) or 0


def test_lag_grows_while_the_worker_is_stopped_fires_the_alert_and_clears_after_a_swap(
    ops_app: Flask, ops_client: FlaskClient, ops_settings: Settings, tmp_path: Path
) -> None:
    today = dt.datetime.now(ops_settings.tz).date()
    place(ops_client, today, list(TARGETS), title="Spring sale")
    resume(ops_client, *TARGETS)
    with worker_with_metrics(ops_settings) as worker:
        assert worker.reconcile(*TARGETS) == ["swapped", "swapped"]
    assert _lag(ops_client) == {"personalized": 0.0, "mass": 0.0}
    assert firing("MailbannerSyncLagHigh", _lag(ops_client), tmp_path) == set()

    # The worker is stopped; a planner changes tomorrow's mass footer.
    applied = _newest_change(ops_app)
    place(ops_client, today + dt.timedelta(days=1), ["mass"], title="Autumn sale")
    _backdate_changes_after(ops_app, applied, STOPPED_FOR)
    first = _lag(ops_client)
    second = _lag(ops_client)
    assert first["mass"] >= STOPPED_FOR.total_seconds()
    assert second["mass"] >= first["mass"]
    assert second["personalized"] == 0
    assert firing("MailbannerSyncLagHigh", second, tmp_path) == {"mass"}

    with worker_with_metrics(ops_settings) as worker:
        assert worker.reconcile("mass") == ["swapped"]
    settled = _lag(ops_client)
    assert settled == {"personalized": 0.0, "mass": 0.0}
    assert firing("MailbannerSyncLagHigh", settled, tmp_path) == set()
