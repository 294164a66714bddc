"""The business KPIs, each from one grouped SQL query over the banner database (never a query per day)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from banner_common.delivery import day_start, today_in
from banner_common.models import AuditEvent, Banner, ScheduleChange, ScheduleEntry

HORIZON_DAYS = 14  # "the coming 14 days", starting tomorrow
USUAL_LOOKBACK_DAYS = 28  # the usual number of banners per day: median of the past four weeks' non-empty days
ENDING_WITHIN_DAYS = 7
CHANGES_DAYS = 14
RECENT_DAYS = 30
ENDING_SOON_LISTED = 50
# Writes that count as planning work for "planners active this week".
PLANNING_ACTIONS = ("banner.%", "schedule.%")


@dataclass(frozen=True)
class KpiScope:
    """Whose banners the KPIs count: a campaign-type scope, or None for all.

    Schedule changes carry no campaign type, so changes per day are counted for everyone alike.
    """

    campaign_types: frozenset[str] | None = None

    @property
    def banner_conditions(self) -> tuple[ColumnElement[bool], ...]:
        if self.campaign_types is None:
            return ()
        return (Banner.campaign_type.in_(sorted(self.campaign_types)),)

    @property
    def audit_conditions(self) -> tuple[ColumnElement[bool], ...]:
        if self.campaign_types is None:
            return ()
        return (
            or_(*(AuditEvent.campaign_types.like(f"%,{kind},%") for kind in sorted(self.campaign_types))),
        )


def compute_kpis(
    session: Session,
    tz: ZoneInfo,
    targets: tuple[str, ...],
    now: dt.datetime,
    scope: KpiScope | None = None,
) -> dict[str, Any]:
    """Every KPI as of `now` (aware): per target coverage and live banners, then the planning figures."""
    scope = scope or KpiScope()
    today = today_in(tz, now)
    tomorrow = today + dt.timedelta(days=1)
    horizon_last = today + dt.timedelta(days=HORIZON_DAYS)
    counts = _entries_per_day(
        session, targets, today - dt.timedelta(days=USUAL_LOOKBACK_DAYS), horizon_last, scope
    )
    live = _live_today(session, targets, today, scope)
    per_target = []
    for target in targets:
        by_day = counts.get(target, {})
        past = [n for day, n in by_day.items() if day < today]
        usual = statistics.median_low(past) if past else None
        coming = [tomorrow + dt.timedelta(days=i) for i in range(HORIZON_DAYS)]
        gaps = [day for day in coming if by_day.get(day, 0) == 0]
        thin = [day for day in coming if usual is not None and 0 < by_day.get(day, 0) < usual]
        per_target.append(
            {
                "target": target,
                "banners_live_today": live.get(target, 0),
                "usual_banners_per_day": usual,
                "coverage_gap_days": gaps,
                "coverage_gap_count": len(gaps),
                "coverage_gap_tomorrow": tomorrow in gaps,
                "thin_days": thin,
                "thin_day_count": len(thin),
            }
        )
    ending = _ending_soon(session, today, scope)
    return {
        "as_of": now,
        "today": today,
        "timezone": tz.key,
        "horizon": {"first": tomorrow, "last": horizon_last},
        "targets": per_target,
        "banners_ending_soon": {
            "within_days": ENDING_WITHIN_DAYS,
            "count": len(ending),
            "items": ending[:ENDING_SOON_LISTED],
        },
        "schedule_changes_per_day": _changes_per_day(session, tz, today),
        "active_planners_this_week": _active_planners(session, tz, today, scope),
        "banners_by_source": _banners_by_source(session, now, scope),
    }


def _entries_per_day(
    session: Session, targets: tuple[str, ...], first: dt.date, last: dt.date, scope: KpiScope
) -> dict[str, dict[dt.date, int]]:
    rows = session.execute(
        select(ScheduleEntry.target, ScheduleEntry.date, func.count())
        .join(Banner, Banner.id == ScheduleEntry.banner_id)
        .where(
            ScheduleEntry.target.in_(targets),
            ScheduleEntry.date >= first,
            ScheduleEntry.date <= last,
            *scope.banner_conditions,
        )
        .group_by(ScheduleEntry.target, ScheduleEntry.date)
    ).all()
    found: dict[str, dict[dt.date, int]] = {}
    for target, day, count in rows:
        found.setdefault(target, {})[day] = int(count)
    return found


def _live_today(
    session: Session, targets: tuple[str, ...], today: dt.date, scope: KpiScope
) -> dict[str, int]:
    rows = session.execute(
        select(ScheduleEntry.target, func.count(func.distinct(ScheduleEntry.banner_id)))
        .join(Banner, Banner.id == ScheduleEntry.banner_id)
        .where(ScheduleEntry.target.in_(targets), ScheduleEntry.date == today, *scope.banner_conditions)
        .group_by(ScheduleEntry.target)
    ).all()
    return {target: int(count) for target, count in rows}


def _ending_soon(session: Session, today: dt.date, scope: KpiScope) -> list[dict[str, Any]]:
    """Banners still scheduled whose last scheduled day (any target) falls within the next 7 days."""
    last_day = func.max(ScheduleEntry.date)
    rows = session.execute(
        select(Banner.id, Banner.title, last_day)
        .join(ScheduleEntry, ScheduleEntry.banner_id == Banner.id)
        .where(Banner.archived.is_(False), *scope.banner_conditions)
        .group_by(Banner.id, Banner.title)
        .having(last_day >= today, last_day < today + dt.timedelta(days=ENDING_WITHIN_DAYS))
        .order_by(last_day, Banner.id)
    ).all()
    return [{"id": banner_id, "title": title, "last_day": day} for banner_id, title, day in rows]


def _changes_per_day(session: Session, tz: ZoneInfo, today: dt.date) -> list[dict[str, Any]]:
    """Committed schedule changes per local day over the last 14 days, today included, zeros shown."""
    first = today - dt.timedelta(days=CHANGES_DAYS - 1)
    moments = session.scalars(
        select(ScheduleChange.committed_at).where(ScheduleChange.committed_at >= day_start(first, tz))
    ).all()
    per_day = Counter(moment.astimezone(tz).date() for moment in moments)
    days = [first + dt.timedelta(days=i) for i in range(CHANGES_DAYS)]
    return [{"date": day, "changes": per_day.get(day, 0)} for day in days]


def _active_planners(session: Session, tz: ZoneInfo, today: dt.date, scope: KpiScope) -> dict[str, Any]:
    """People who changed banners or the schedule since Monday (local time)."""
    monday = today - dt.timedelta(days=today.weekday())
    names = session.scalars(
        select(AuditEvent.actor)
        .where(
            AuditEvent.at >= day_start(monday, tz),
            or_(*(AuditEvent.action.like(pattern) for pattern in PLANNING_ACTIONS)),
            *scope.audit_conditions,
        )
        .distinct()
        .order_by(AuditEvent.actor)
    ).all()
    return {"since": monday, "count": len(names), "names": list(names)}


def _banners_by_source(session: Session, now: dt.datetime, scope: KpiScope) -> dict[str, dict[str, int]]:
    """Banners not archived, by how they came in: registered through the API or imported at cut-over."""
    recent = now - dt.timedelta(days=RECENT_DAYS)
    recent_count = func.sum(case((Banner.created_at >= recent, 1), else_=0))
    rows = session.execute(
        select(Banner.source, func.count(), recent_count)
        .where(Banner.archived.is_(False), *scope.banner_conditions)
        .group_by(Banner.source)
    ).all()
    found = {source: {"total": 0, "last_30_days": 0} for source in ("registered", "imported")}
    for source, total, recent_total in rows:
        found[source] = {"total": int(total), "last_30_days": int(recent_total or 0)}
    return found
