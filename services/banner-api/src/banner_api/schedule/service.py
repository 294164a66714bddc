"""Placing, ordering and removing banners on days, and reading days and months, each in one unit of work."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload

from banner_api.auth.scope import sees_banner, visible_banners
from banner_api.context import services
from banner_api.errors import Conflict, NotFound, PreconditionFailed, PreconditionRequired, field_error
from banner_api.schedule.changes import DayChange
from banner_api.schedule.days import (
    DayKey,
    bump_day_if,
    bump_range,
    day_version,
    day_versions,
    remove_entries,
    renumber_days,
)
from banner_common.models import PENDING, Banner, ScheduleEntry

MAX_RANGE_DAYS = 366
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class StaleVersion(PreconditionFailed):
    """If-Match named a version the day has moved past."""

    def __init__(self, day: dt.date, target: str, current_version: int) -> None:
        super().__init__(
            f"{day.isoformat()} ({target}) changed since you read it; it is now at version {current_version}",
            {"If-Match": [f'stale; the current ETag is "{current_version}"']},
            "headers",
        )
        self.current_version = current_version


@dataclass(frozen=True)
class VersionCondition:
    """What an If-Match header asks for: one of these versions, or any (`*`)."""

    versions: frozenset[int]
    any_version: bool = False

    @property
    def expected(self) -> frozenset[int] | None:
        return None if self.any_version else self.versions


@dataclass(frozen=True)
class Placement:
    banner_id: int
    start_date: dt.date
    end_date: dt.date | None = None
    position: int | None = None
    targets: Sequence[str] | None = None


@dataclass(frozen=True)
class DayView:
    date: dt.date
    target: str
    version: int
    entries: list[ScheduleEntry]

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    @property
    def pending(self) -> int:
        return sum(1 for entry in self.entries if entry.approval == PENDING)


@dataclass(frozen=True)
class MonthView:
    month: str
    days: list[DayView]


def parse_day(value: str, field: str = "date", location: str = "path") -> dt.date:
    """A YYYY-MM-DD day, or a 422 naming the field."""
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise field_error(field, "not a valid date (YYYY-MM-DD)", location) from None


def check_target(target: str, field: str = "target", location: str = "query") -> str:
    known = services().target_names
    if target not in known:
        raise field_error(field, f"unknown target {target!r}; known: {', '.join(known)}", location)
    return target


def place_banner(placement: Placement) -> list[ScheduleEntry]:
    """Put a banner on every day of the range for the targets, all days or none."""
    svc = services()
    targets = _chosen_targets(placement.targets, "targets", "json")
    first = placement.start_date
    last = placement.end_date or first
    if last < first:
        raise field_error("end_date", "must not be before start_date")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise field_error("end_date", f"a range covers at most {MAX_RANGE_DAYS} days")
    with svc.unit_of_work() as uow:
        session = uow.session
        banner = session.get(Banner, placement.banner_id)
        if banner is None or not sees_banner(banner):
            raise field_error("banner_id", f"no banner {placement.banner_id}")
        if banner.archived:
            raise field_error("banner_id", f"banner {banner.id} is archived and cannot be scheduled")
        try:
            # Bumping first also locks the days, so the counts below stay true until commit.
            bump_range(session, targets, first, last)
            change = DayChange(
                session, ((d, t) for d in _days(first, last) for t in targets), "schedule.place"
            )
            counts = _entry_counts(session, targets, first, last)
            _refuse_duplicates(session, banner.id, targets, first, last)
            _refuse_full_days(counts, targets, first, last, svc.settings.max_banners_per_day)
            if placement.position is not None:
                _refuse_bad_position(counts, targets, first, last, placement.position)
                session.execute(
                    update(ScheduleEntry)
                    .where(
                        ScheduleEntry.target.in_(targets),
                        ScheduleEntry.date >= first,
                        ScheduleEntry.date <= last,
                        ScheduleEntry.position >= placement.position,
                    )
                    .values(position=ScheduleEntry.position + 1),
                    execution_options={"synchronize_session": False},
                )
            entries = [
                ScheduleEntry(
                    banner_id=banner.id,
                    date=day,
                    target=target,
                    position=placement.position or counts[(day, target)] + 1,
                )
                for day in _days(first, last)
                for target in targets
            ]
            session.add_all(entries)
            uow.record_change(targets, first, last, "scheduled")
            change.finish(approval_required=svc.settings.approval_required)
            uow.commit()
        except IntegrityError as exc:
            raise _concurrent_change() from exc
    return entries


def read_day(day: dt.date, target: str) -> DayView:
    check_target(target)
    with services().unit_of_work() as uow:
        return DayView(
            day, target, day_version(uow.session, day, target), _day_entries(uow.session, day, target)
        )


def reorder_day(
    day: dt.date, target: str, entry_ids: Sequence[int], condition: VersionCondition | None
) -> DayView:
    """Give the day's entries the order of entry_ids, if the day is still at the version If-Match names."""
    check_target(target)
    if condition is None:
        raise _if_match_required()
    svc = services()
    with svc.unit_of_work() as uow:
        session = uow.session
        try:
            new_version = bump_day_if(session, day, target, condition.expected)
        except IntegrityError:
            uow.rollback()
            new_version = None
        if new_version is None:
            raise StaleVersion(day, target, day_version(session, day, target))
        change = DayChange(session, [(day, target)], "schedule.reorder")
        # A caller narrowed to some campaign types orders only the entries it sees, within the places
        # they hold; the others stay where they are.
        entries = _day_entries(session, day, target)
        by_id = {entry.id: entry for entry in entries}
        if len(entry_ids) != len(set(entry_ids)) or set(entry_ids) != set(by_id):
            raise field_error(
                "entry_ids",
                f"must list each of the day's entries exactly once: {sorted(by_id)}",
            )
        places = sorted(entry.position for entry in entries)
        for position, entry_id in zip(places, entry_ids, strict=True):
            by_id[entry_id].position = position
        uow.record_change([target], day, day, "reordered")
        change.finish(approval_required=svc.settings.approval_required)
        uow.commit()
    ordered = [by_id[entry_id] for entry_id in entry_ids]
    return DayView(day, target, new_version, ordered)


def remove_entry(entry_id: int, condition: VersionCondition | None) -> None:
    """Take one entry off its day and close the gap; with If-Match, only if the day is still at it."""
    svc = services()
    with svc.unit_of_work() as uow:
        session = uow.session
        entry = session.get(ScheduleEntry, entry_id)
        if entry is None or not sees_banner(entry.banner):
            raise NotFound(f"no schedule entry {entry_id}")
        day, target = entry.date, entry.target
        try:
            new_version = bump_day_if(session, day, target, condition.expected if condition else None)
        except IntegrityError:
            uow.rollback()
            new_version = None
        if new_version is None:
            raise StaleVersion(day, target, day_version(session, day, target))
        # Another request may have removed it while we waited for the day.
        if session.scalar(select(ScheduleEntry.id).where(ScheduleEntry.id == entry_id)) is None:
            raise NotFound(f"no schedule entry {entry_id}")
        change = DayChange(session, [(day, target)], "schedule.remove_entry")
        session.delete(entry)
        renumber_days(session, [(day, target)])
        uow.record_change([target], day, day, "unscheduled")
        change.finish(approval_required=svc.settings.approval_required)
        uow.commit()


def remove_banner_range(
    banner_id: int, start_date: dt.date, end_date: dt.date | None, targets: Sequence[str] | None
) -> int:
    """Take a banner off every day of the range for the targets. Returns how many entries went."""
    chosen = _chosen_targets(targets, "targets", "query")
    first, last = start_date, end_date or start_date
    if last < first:
        raise field_error("end_date", "must not be before start_date", "query")
    svc = services()
    with svc.unit_of_work() as uow:
        session = uow.session
        banner = session.get(Banner, banner_id)
        if banner is None or not sees_banner(banner):
            raise field_error("banner_id", f"no banner {banner_id}", "query")
        doomed = session.scalars(
            select(ScheduleEntry).where(
                ScheduleEntry.banner_id == banner_id,
                ScheduleEntry.target.in_(chosen),
                ScheduleEntry.date >= first,
                ScheduleEntry.date <= last,
            )
        ).all()
        if not doomed:
            return 0
        try:
            change = DayChange(session, {(e.date, e.target) for e in doomed}, "schedule.remove_range")
            keys = remove_entries(session, doomed)
            uow.record_change({t for _, t in keys}, keys[0][0], keys[-1][0], "unscheduled")
            change.finish(approval_required=svc.settings.approval_required)
            uow.commit()
        except IntegrityError as exc:
            raise _concurrent_change() from exc
    return len(doomed)


def read_month(month: str, target: str | None) -> MonthView:
    """Every day of the month for each target (or the one asked for), empty days included."""
    first, last = _parse_month(month)
    targets = [check_target(target)] if target is not None else sorted(services().target_names)
    with services().unit_of_work() as uow:
        entries = _span_entries(uow.session, targets, first, last)
        versions = day_versions(uow.session, targets, first, last)
    by_day: dict[DayKey, list[ScheduleEntry]] = {}
    for entry in entries:
        by_day.setdefault((entry.date, entry.target), []).append(entry)
    days = [
        DayView(day, name, versions.get((day, name), 0), by_day.get((day, name), []))
        for day in _days(first, last)
        for name in targets
    ]
    return MonthView(f"{first:%Y-%m}", days)


def _chosen_targets(targets: Sequence[str] | None, field: str, location: str) -> list[str]:
    known = services().target_names
    if targets is None:
        return list(known)
    if not targets:
        raise field_error(field, "name at least one target (or leave it out for all)", location)
    unknown = sorted({t for t in targets if t not in known})
    if unknown:
        raise field_error(field, f"unknown targets {unknown}; known: {', '.join(known)}", location)
    return sorted(set(targets))


def _parse_month(month: str) -> tuple[dt.date, dt.date]:
    found = _MONTH.match(month)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1:
        raise field_error("month", "not a valid month (YYYY-MM)", "query")
    year, number = int(found.group(1)), int(found.group(2))
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    return (first + dt.timedelta(days=offset) for offset in range((last - first).days + 1))


def _entries_in(targets: Sequence[str], first: dt.date, last: dt.date) -> Select[Any]:
    """The span's entries the caller may see, ordered as days show them."""
    return (
        select(ScheduleEntry)
        .join(ScheduleEntry.banner)
        .where(ScheduleEntry.target.in_(targets), ScheduleEntry.date >= first, ScheduleEntry.date <= last)
        .where(*visible_banners())
        .order_by(ScheduleEntry.date, ScheduleEntry.target, ScheduleEntry.position, ScheduleEntry.id)
    )


def _span_entries(
    session: Session, targets: Sequence[str], first: dt.date, last: dt.date
) -> list[ScheduleEntry]:
    """The span's entries with their banners. The banners come in a second query, each once: joined,
    every entry's row would carry its banner again (a month of ten a day is ~300 entries, ~10 banners)."""
    query = _entries_in(targets, first, last).options(selectinload(ScheduleEntry.banner))
    return list(session.scalars(query))


def _day_entries(session: Session, day: dt.date, target: str) -> list[ScheduleEntry]:
    """One day's entries with their banners, in one joined query."""
    query = _entries_in([target], day, day).options(contains_eager(ScheduleEntry.banner))
    return list(session.scalars(query).unique())


def _entry_counts(session: Session, targets: Sequence[str], first: dt.date, last: dt.date) -> Counter[DayKey]:
    rows = session.execute(
        select(ScheduleEntry.date, ScheduleEntry.target, func.count())
        .where(ScheduleEntry.target.in_(targets), ScheduleEntry.date >= first, ScheduleEntry.date <= last)
        .group_by(ScheduleEntry.date, ScheduleEntry.target)
    )
    return Counter({(day, target): count for day, target, count in rows})


def _refuse_duplicates(
    session: Session, banner_id: int, targets: Sequence[str], first: dt.date, last: dt.date
) -> None:
    taken = [
        (day, target)
        for day, target in session.execute(
            select(ScheduleEntry.date, ScheduleEntry.target)
            .where(
                ScheduleEntry.banner_id == banner_id,
                ScheduleEntry.target.in_(targets),
                ScheduleEntry.date >= first,
                ScheduleEntry.date <= last,
            )
            .order_by(ScheduleEntry.date, ScheduleEntry.target)
        )
    ]
    if taken:
        raise Conflict(
            f"banner {banner_id} is already scheduled on {_list_days(taken)}; nothing was scheduled",
            {"dates": [f"{day.isoformat()} ({target}): already holds the banner" for day, target in taken]},
        )


def _refuse_full_days(
    counts: Counter[DayKey], targets: Sequence[str], first: dt.date, last: dt.date, most: int
) -> None:
    full = [(day, t) for day in _days(first, last) for t in targets if counts[(day, t)] >= most]
    if full:
        raise Conflict(
            f"{_list_days(full)} already hold{'s' if len(full) == 1 else ''} the maximum of {most} banners; "
            "nothing was scheduled",
            {"dates": [f"{day.isoformat()} ({target}): full ({most} banners)" for day, target in full]},
        )


def _refuse_bad_position(
    counts: Counter[DayKey], targets: Sequence[str], first: dt.date, last: dt.date, position: int
) -> None:
    short = [(day, t) for day in _days(first, last) for t in targets if position > counts[(day, t)] + 1]
    if short:
        raise field_error(
            "position",
            f"must be 1..n+1 on every day; {_list_days(short)} hold fewer than {position - 1} banners",
        )


def _list_days(keys: Iterable[tuple[dt.date, str]]) -> str:
    return ", ".join(f"{day.isoformat()} ({target})" for day, target in keys)


def _if_match_required() -> PreconditionRequired:
    return PreconditionRequired(
        'send If-Match with the day\'s ETag (GET the day first), e.g. If-Match: "3"',
        {"If-Match": ["required"]},
        "headers",
    )


def _concurrent_change() -> Conflict:
    return Conflict("the schedule changed at the same moment; nothing was written, try again")
