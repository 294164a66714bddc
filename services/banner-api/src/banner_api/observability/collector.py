"""Gauges read from the banner database at scrape time: per-target sync state (lag) and the business KPIs."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from banner_api.kpis.service import compute_kpis
from banner_api.sync.service import declared_targets, target_status
from banner_common import metrics as names
from banner_common.logging import get_logger
from banner_common.models import SyncRun, utcnow
from banner_common.settings import Settings

log = get_logger(__name__)

FAILURE_STREAK_LOOKBACK = 50  # runs read per target to count the failures since the last other outcome


class BannerStateCollector(Collector):
    """Every API replica answers the same figures: they come from the database, not from this process."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        target_names: tuple[str, ...],
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self._settings = settings
        self._targets = target_names
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(names.BANNER_DB_UP, "1 when the banner database answered this scrape")
        try:
            families = self._read()
        except Exception as exc:  # the scrape still answers, saying the database did not
            log.warning("metrics_banner_db_unavailable", error=f"{type(exc).__name__}: {exc}")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        now = self._clock()
        gauges = {
            name: GaugeMetricFamily(name, help_text, labels=["target"])
            for name, help_text in (
                (names.SYNC_LAG, "Age of the oldest committed change not yet applied to the target"),
                (names.SYNC_PENDING_CHANGES, "Committed changes not yet applied to the target"),
                (names.SYNC_SECONDS_SINCE_SUCCESS, "Seconds since the target's last successful run"),
                (names.SYNC_CONSECUTIVE_FAILURES, "Failed runs since the target's last other outcome"),
                (names.SYNC_HELD, "1 while a swap of the target waits for an operator"),
                (names.SYNC_PAUSED, "1 while the target is paused"),
                (names.KPI_BANNERS_LIVE_TODAY, "Distinct banners scheduled today"),
                (names.KPI_COVERAGE_GAP_DAYS, "Days among the coming 14 with no banner"),
                (names.KPI_COVERAGE_GAP_TOMORROW, "1 when tomorrow has no banner"),
                (names.KPI_THIN_DAYS, "Days among the coming 14 with fewer banners than usual"),
            )
        }
        with self._sessions() as session:
            for name, spec in declared_targets(self._settings, self._targets).items():
                status = target_status(session, name, spec, now)
                last_success = status["last_success_at"]
                since = (now - last_success).total_seconds() if last_success else math.inf
                gauges[names.SYNC_LAG].add_metric([name], status["lag_seconds"])
                gauges[names.SYNC_PENDING_CHANGES].add_metric([name], status["pending_changes"])
                gauges[names.SYNC_SECONDS_SINCE_SUCCESS].add_metric([name], since)
                gauges[names.SYNC_CONSECUTIVE_FAILURES].add_metric([name], _failure_streak(session, name))
                gauges[names.SYNC_HELD].add_metric([name], int(status["held"]))
                gauges[names.SYNC_PAUSED].add_metric([name], int(status["paused"]))
            kpis = compute_kpis(session, self._settings.tz, self._targets, now)
        for row in kpis["targets"]:
            gauges[names.KPI_BANNERS_LIVE_TODAY].add_metric([row["target"]], row["banners_live_today"])
            gauges[names.KPI_COVERAGE_GAP_DAYS].add_metric([row["target"]], row["coverage_gap_count"])
            gauges[names.KPI_COVERAGE_GAP_TOMORROW].add_metric(
                [row["target"]], int(row["coverage_gap_tomorrow"])
            )
            gauges[names.KPI_THIN_DAYS].add_metric([row["target"]], row["thin_day_count"])
        ending = GaugeMetricFamily(names.KPI_BANNERS_ENDING_SOON, "Banners whose schedule ends within 7 days")
        ending.add_metric([], kpis["banners_ending_soon"]["count"])
        changes = GaugeMetricFamily(names.KPI_SCHEDULE_CHANGES_TODAY, "Schedule changes committed today")
        changes.add_metric([], kpis["schedule_changes_per_day"][-1]["changes"])
        planners = GaugeMetricFamily(
            names.KPI_ACTIVE_PLANNERS_WEEK, "People who changed banners or the schedule this week"
        )
        planners.add_metric([], kpis["active_planners_this_week"]["count"])
        banners = GaugeMetricFamily(
            names.KPI_BANNERS, "Banners not archived, by source (registered or imported)", labels=["source"]
        )
        for source, counts in sorted(kpis["banners_by_source"].items()):
            banners.add_metric([source], counts["total"])
        return [*gauges.values(), ending, changes, planners, banners]


def _failure_streak(session: Session, target: str) -> int:
    outcomes = session.scalars(
        select(SyncRun.outcome)
        .where(SyncRun.target == target, SyncRun.outcome != "running")
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(FAILURE_STREAK_LOOKBACK)
    ).all()
    streak = 0
    for outcome in outcomes:
        if outcome != "failed":
            break
        streak += 1
    return streak
