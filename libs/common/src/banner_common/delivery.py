"""The one derivation of delivery rows from the schedule: preview, sync and tests all call it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from banner_common.models import Banner, ScheduleEntry


class PriorityOrder(StrEnum):
    """How a delivery table ranks banners: position 1 as priority 1, or the top banner with the largest."""

    TOP_IS_ONE = "top_is_one"
    LARGER_IS_TOP = "larger_is_top"


@dataclass(frozen=True, order=True)
class DayWindow:
    """An inclusive span of business days."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"window ends ({self.last}) before it starts ({self.first})")

    @classmethod
    def around(cls, today: dt.date, days_back: int, days_ahead: int) -> DayWindow:
        return cls(today - dt.timedelta(days=days_back), today + dt.timedelta(days=days_ahead))

    @classmethod
    def single(cls, day: dt.date) -> DayWindow:
        return cls(day, day)

    def days(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += dt.timedelta(days=1)

    def __len__(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The aware instants where the window's first day starts and its last day ends."""
        return day_start(self.first, tz), day_start(self.last + dt.timedelta(days=1), tz)


class DeliveryRow(NamedTuple):
    """One row a delivery table must hold. Datetimes are aware, in the business time zone.

    A named tuple, not a dataclass: a reconcile makes one per row of a window, every minute per target,
    and a tuple is several times cheaper to build; it orders by its fields in this order.
    """

    start_at: dt.datetime
    priority: int
    image_url: str
    link_url: str
    end_at: dt.datetime


class ScheduledBanner(NamedTuple):
    """What the derivation needs of one schedule entry."""

    date: dt.date
    position: int
    image_url: str
    link_url: str


def day_start(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """Local midnight of a business day; correct across daylight-saving changes (zoneinfo resolves it)."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)


def today_in(tz: ZoneInfo, now: dt.datetime | None = None) -> dt.date:
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    return moment.astimezone(tz).date()


def derive_rows(
    entries: Iterable[ScheduledBanner],
    tz: ZoneInfo,
    order: PriorityOrder = PriorityOrder.TOP_IS_ONE,
) -> list[DeliveryRow]:
    """Turn schedule entries into delivery rows: one per entry, displayed for its whole day.

    Positions are renumbered densely per day, so a gap left by a removed entry never reaches a target.
    """
    rows: list[DeliveryRow] = []
    ordered = sorted(entries, key=lambda e: (e.date, e.position))
    for day, group in groupby(ordered, key=lambda e: e.date):
        day_entries = list(group)
        start = day_start(day, tz)
        end = day_start(day + dt.timedelta(days=1), tz)
        count = len(day_entries)
        for rank, entry in enumerate(day_entries, start=1):
            priority = rank if order is PriorityOrder.TOP_IS_ONE else count + 1 - rank
            rows.append(DeliveryRow(start, priority, entry.image_url, entry.link_url, end))
    return rows


def scheduled_banners(
    session: Session, target: str, window: DayWindow, *, approved_only: bool = False
) -> list[ScheduledBanner]:
    """The target's schedule entries in the window, with the banner fields a delivery row needs.

    approved_only (pass the approval_required setting): only what an approver last approved, in its
    approved position, with the image and link as approved; pending changes are left out.
    """
    in_window = (
        ScheduleEntry.target == target,
        ScheduleEntry.date >= window.first,
        ScheduleEntry.date <= window.last,
    )
    if approved_only:
        approved = session.execute(
            select(
                ScheduleEntry.date,
                ScheduleEntry.approved_position,
                ScheduleEntry.approved_image_url,
                ScheduleEntry.approved_link_url,
            )
            .where(
                *in_window,
                ScheduleEntry.approved_position.is_not(None),
                ScheduleEntry.approved_image_url.is_not(None),
                ScheduleEntry.approved_link_url.is_not(None),
            )
            .order_by(ScheduleEntry.date, ScheduleEntry.approved_position, ScheduleEntry.id)
        )
        return [ScheduledBanner(d, p or 0, image or "", link or "") for d, p, image, link in approved]
    stmt = (
        select(ScheduleEntry.date, ScheduleEntry.position, Banner.image_url, Banner.link_url)
        .join(Banner, Banner.id == ScheduleEntry.banner_id)
        .where(*in_window)
        .order_by(ScheduleEntry.date, ScheduleEntry.position, ScheduleEntry.id)
    )
    return [ScheduledBanner(d, p, image, link) for d, p, image, link in session.execute(stmt)]


def delivery_rows(
    session: Session,
    target: str,
    window: DayWindow,
    tz: ZoneInfo,
    order: PriorityOrder = PriorityOrder.TOP_IS_ONE,
    *,
    approved_only: bool = False,
) -> list[DeliveryRow]:
    """The exact rows the target's delivery table must hold for the window.

    Callers that deliver pass approved_only=settings.approval_required; the default is the live schedule.
    """
    return derive_rows(scheduled_banners(session, target, window, approved_only=approved_only), tz, order)
