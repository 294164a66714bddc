"""Approving pending schedule entries: never by one of their authors; approval reaches targets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, contains_eager

from banner_api.auth.current import current_principal
from banner_api.auth.scope import visible_banners
from banner_api.context import services
from banner_api.errors import Forbidden, NotFound, field_error
from banner_api.schedule.changes import DayChange, approve_as_is, authors
from banner_api.schedule.days import bump_days
from banner_api.schedule.service import check_target
from banner_api.uow import UnitOfWork
from banner_common.models import PENDING, ScheduleEntry


@dataclass(frozen=True)
class PendingQuery:
    target: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class PendingPage:
    items: list[ScheduleEntry]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Approved:
    entries: list[ScheduleEntry]

    @property
    def count(self) -> int:
        return len(self.entries)


def list_pending(query: PendingQuery) -> PendingPage:
    """Entries waiting for approval that the caller may see, by date, target and position."""
    conditions = [ScheduleEntry.approval == PENDING, *visible_banners()]
    if query.target is not None:
        conditions.append(ScheduleEntry.target == check_target(query.target))
    if query.start_date is not None:
        conditions.append(ScheduleEntry.date >= query.start_date)
    if query.end_date is not None:
        conditions.append(ScheduleEntry.date <= query.end_date)
    with services().unit_of_work() as uow:
        joined = select(ScheduleEntry).join(ScheduleEntry.banner).where(*conditions)
        total = uow.session.scalar(select(func.count()).select_from(joined.subquery())) or 0
        items = uow.session.scalars(
            joined.options(contains_eager(ScheduleEntry.banner))
            .order_by(ScheduleEntry.date, ScheduleEntry.target, ScheduleEntry.position, ScheduleEntry.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        return PendingPage(list(items), total, query.limit, query.offset)


def approve_entries(entry_ids: Sequence[int]) -> Approved:
    """Approve the listed entries (all or none). Entries already approved are left as they are."""
    if not entry_ids:
        raise field_error("entry_ids", "name at least one entry")
    with services().unit_of_work() as uow:
        entries = _visible_entries(uow.session, [ScheduleEntry.id.in_(sorted(set(entry_ids)))])
        missing = sorted(set(entry_ids) - {entry.id for entry in entries})
        if missing:
            raise NotFound(
                f"no schedule entries {missing}", {"entry_ids": [f"no entry {i}" for i in missing]}
            )
        return Approved(_approve(uow, entries))


def approve_entry(entry_id: int) -> ScheduleEntry:
    with services().unit_of_work() as uow:
        entries = _visible_entries(uow.session, [ScheduleEntry.id == entry_id])
        if not entries:
            raise NotFound(f"no schedule entry {entry_id}")
        _approve(uow, entries)
        return entries[0]


def approve_day(day: dt.date, target: str) -> Approved:
    """Approve every pending entry of one day and target that the caller may see."""
    check_target(target)
    with services().unit_of_work() as uow:
        entries = _visible_entries(
            uow.session,
            [ScheduleEntry.date == day, ScheduleEntry.target == target, ScheduleEntry.approval == PENDING],
        )
        return Approved(_approve(uow, entries))


def _approve(uow: UnitOfWork, entries: list[ScheduleEntry]) -> list[ScheduleEntry]:
    session = uow.session
    keys = sorted({(entry.date, entry.target) for entry in entries if entry.approval == PENDING})
    if not keys:
        return entries
    bump_days(session, keys)  # locks the days against a concurrent change, and moves their ETags on
    for entry in entries:
        session.refresh(entry)
    pending = [entry for entry in entries if entry.approval == PENDING]
    approver = current_principal().name
    own = sorted(entry.id for entry in pending if approver in authors(entry))
    if own:
        raise Forbidden(
            f"{approver} made the pending changes to entries {own}; another approver must approve them",
            {"entry_ids": [f"entry {i}: you cannot approve your own change" for i in own]},
        )
    change = DayChange(session, keys, "schedule.approve")
    for entry in pending:
        approve_as_is(entry, approver)
    uow.record_change({target for _, target in keys}, keys[0][0], keys[-1][0], "approved")
    change.finish(approval_required=services().settings.approval_required, settle=False)
    uow.commit()
    return entries


def _visible_entries(session: Session, conditions: list[ColumnElement[bool]]) -> list[ScheduleEntry]:
    return list(
        session.scalars(
            select(ScheduleEntry)
            .join(ScheduleEntry.banner)
            .options(contains_eager(ScheduleEntry.banner))
            .where(*conditions, *visible_banners())
            .order_by(ScheduleEntry.date, ScheduleEntry.target, ScheduleEntry.position, ScheduleEntry.id)
        ).unique()
    )
