"""Bookkeeping shared by every change to a day: dense positions and the day's version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from banner_common.models import ScheduleDay, ScheduleEntry

DayKey = tuple[dt.date, str]


def day_version(session: Session, day: dt.date, target: str) -> int:
    """The current version of a day (0 for a day nothing was ever written to)."""
    found = session.get(ScheduleDay, (day, target))
    return found.version if found else 0


def bump_days(session: Session, keys: Iterable[DayKey]) -> None:
    """Increase the version of every day touched, so a stale If-Match on any of them is refused."""
    for day, target in set(keys):
        found = session.get(ScheduleDay, (day, target))
        if found is None:
            session.add(ScheduleDay(date=day, target=target, version=1))
        else:
            found.version += 1


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
    keys: list[DayKey] = []
    for entry in entries:
        keys.append((entry.date, entry.target))
        session.delete(entry)
    renumber_days(session, keys)
    bump_days(session, keys)
    return sorted(set(keys))
