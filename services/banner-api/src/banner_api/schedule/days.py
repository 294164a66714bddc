"""Bookkeeping shared by every change to a day: dense positions and the day's version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from banner_common.models import ScheduleDay, ScheduleEntry, utcnow

DayKey = tuple[dt.date, str]


def day_version(session: Session, day: dt.date, target: str) -> int:
    """The current version of a day (0 for a day nothing was ever written to)."""
    # A query, not session.get: the identity map may hold a version an atomic UPDATE has since moved on.
    found = session.scalar(
        select(ScheduleDay.version).where(ScheduleDay.date == day, ScheduleDay.target == target)
    )
    return found if found is not None else 0


def day_versions(
    session: Session, targets: Iterable[str], first: dt.date, last: dt.date
) -> dict[DayKey, int]:
    """The versions of every written day of the span, in one query (days never written are absent)."""
    rows = session.execute(
        select(ScheduleDay.date, ScheduleDay.target, ScheduleDay.version).where(
            ScheduleDay.target.in_(list(targets)), ScheduleDay.date >= first, ScheduleDay.date <= last
        )
    )
    return {(day, target): version for day, target, version in rows}


def bump_days(session: Session, keys: Iterable[DayKey]) -> None:
    """Increase the version of every day touched, so a stale If-Match on any of them is refused.

    The increment happens in SQL (version = version + 1), which also takes the day's row lock on
    PostgreSQL: concurrent changes to one day queue up behind each other instead of losing an update.
    Days are visited in a fixed order so two transactions never wait on each other in a cycle.
    """
    for day, target in sorted(set(keys)):
        result = cast(
            "CursorResult[Any]",
            session.execute(
                update(ScheduleDay)
                .where(ScheduleDay.date == day, ScheduleDay.target == target)
                .values(version=ScheduleDay.version + 1)
            ),
        )
        if result.rowcount == 0:
            session.add(ScheduleDay(date=day, target=target, version=1))
    session.flush()


def bump_range(session: Session, targets: Iterable[str], first: dt.date, last: dt.date) -> None:
    """bump_days for every day of a span and every target, in a few statements instead of one per day."""
    names = sorted(set(targets))
    in_span = (ScheduleDay.target.in_(names), ScheduleDay.date >= first, ScheduleDay.date <= last)
    # Lock the existing rows in a fixed order first (a no-op on SQLite, whose writers are serialised anyway).
    locked = session.execute(
        select(ScheduleDay.date, ScheduleDay.target)
        .where(*in_span)
        .order_by(ScheduleDay.date, ScheduleDay.target)
        .with_for_update()
    )
    existing = {(day, target) for day, target in locked}
    if existing:
        session.execute(
            update(ScheduleDay).where(*in_span).values(version=ScheduleDay.version + 1),
            execution_options={"synchronize_session": "fetch"},
        )
    now = utcnow()
    missing = [
        {"date": first + dt.timedelta(days=offset), "target": target, "version": 1, "updated_at": now}
        for offset in range((last - first).days + 1)
        for target in names
        if (first + dt.timedelta(days=offset), target) not in existing
    ]
    if missing:
        session.execute(insert(ScheduleDay), missing)


def bump_day_if(session: Session, day: dt.date, target: str, expected: Collection[int] | None) -> int | None:
    """Bump one day only if its version is one of `expected` (None: any). Returns the new version, or None
    when the day has moved on. The check and the bump are one conditional UPDATE, so two planners holding
    the same version cannot both succeed. A day never written is version 0; creating its row may raise
    IntegrityError if another transaction creates it at the same moment (treat that as stale)."""
    stmt = update(ScheduleDay).where(ScheduleDay.date == day, ScheduleDay.target == target)
    if expected is not None:
        stmt = stmt.where(ScheduleDay.version.in_(list(expected)))
    result = cast(
        "CursorResult[Any]",
        session.execute(
            stmt.values(version=ScheduleDay.version + 1),
            execution_options={"synchronize_session": "fetch"},
        ),
    )
    if result.rowcount == 1:
        return day_version(session, day, target)
    if day_version(session, day, target) == 0 and (expected is None or 0 in expected):
        session.add(ScheduleDay(date=day, target=target, version=1))
        session.flush()
        return 1
    return None


def renumber_days(session: Session, keys: Iterable[DayKey]) -> None:
    """Close any gaps: positions become 1..n in their current order."""
    session.flush()
    for day, target in set(keys):
        entries = session.scalars(
            select(ScheduleEntry)
            .where(ScheduleEntry.date == day, ScheduleEntry.target == target)
            .order_by(ScheduleEntry.position, ScheduleEntry.id)
        ).all()
        for position, entry in enumerate(entries, start=1):
            if entry.position != position:
                entry.position = position


def remove_entries(session: Session, entries: Iterable[ScheduleEntry]) -> list[DayKey]:
    """Delete entries, close the gaps they leave and bump their days. Returns the days touched."""
    doomed = list(entries)
    keys = sorted({(entry.date, entry.target) for entry in doomed})
    # Bump (and so lock) the days before touching their entries, the same order every writer uses.
    bump_days(session, keys)
    for entry in doomed:
        session.delete(entry)
    renumber_days(session, keys)
    return keys
