"""The footer of one day and target, derived by delivery_rows exactly as the sync worker derives it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from banner_api.auth.current import current_principal
from banner_api.auth.scope import visible_banners
from banner_api.context import services
from banner_api.errors import field_error
from banner_common.delivery import (
    DayWindow,
    DeliveryRow,
    PriorityOrder,
    ScheduledBanner,
    delivery_rows,
    derive_rows,
)
from banner_common.models import PENDING, Banner, ScheduleEntry
from banner_common.targets import load_targets

# Newsletter bodies are about this wide; a wider image is scaled down by its width attribute (Outlook obeys
# only that) and by max-width elsewhere.
FOOTER_WIDTH = 600


@dataclass(frozen=True)
class FooterBanner:
    """What the HTML footer shows of one delivery row."""

    image_url: str
    link_url: str
    alt: str
    width: int | None


@dataclass(frozen=True)
class PendingEntry:
    """An entry of the day whose change waits for approval (and so is not delivered as it stands)."""

    entry_id: int
    banner_id: int
    title: str
    position: int
    changed_by: str

    @property
    def authors(self) -> list[str]:
        return [name for name in self.changed_by.split(",") if name]


@dataclass(frozen=True)
class Preview:
    date: dt.date
    target: str
    priority_order: PriorityOrder
    rows: list[DeliveryRow]
    footer: list[FooterBanner]
    includes_pending: bool
    pending: list[PendingEntry]


def preview(day: dt.date, target: str, *, include_pending: bool = False) -> Preview:
    """The delivery rows of the day, top of the footer first, with what the HTML footer needs of each.

    With approval required, the rows are those targets will receive (approved changes only), unless
    include_pending asks for the footer as it will be once every pending change is approved.
    """
    svc = services()
    if target not in svc.target_names:
        known = ", ".join(svc.target_names)
        raise field_error("target", f"unknown target {target!r}; known: {known}", "query")
    order = priority_order(target)
    approved_only = svc.settings.approval_required and not include_pending
    principal = current_principal()
    with svc.unit_of_work() as uow:
        found = _footer_entries(uow.session, day, target, approved_only)
        if principal.scoped:
            # Only the entries it may see, derived exactly as delivery_rows derives them.
            scheduled = [ScheduledBanner(day, place, image, link) for image, link, _, _, place in found]
            rows = derive_rows(scheduled, svc.settings.tz, order)
        else:
            rows = delivery_rows(
                uow.session,
                target,
                DayWindow.single(day),
                svc.settings.tz,
                order,
                approved_only=approved_only,
            )
        details = [(image, link, title, width) for image, link, title, width, _ in found]
        pending = [
            PendingEntry(entry_id, banner_id, title, position, changed_by)
            for entry_id, banner_id, title, position, changed_by in uow.session.execute(
                select(
                    ScheduleEntry.id,
                    ScheduleEntry.banner_id,
                    Banner.title,
                    ScheduleEntry.position,
                    ScheduleEntry.changed_by,
                )
                .join(Banner, Banner.id == ScheduleEntry.banner_id)
                .where(
                    ScheduleEntry.date == day,
                    ScheduleEntry.target == target,
                    ScheduleEntry.approval == PENDING,
                    *visible_banners(principal),
                )
                .order_by(ScheduleEntry.position, ScheduleEntry.id)
            )
        ]
    top_first = sorted(rows, key=lambda row: row.priority, reverse=order is PriorityOrder.LARGER_IS_TOP)
    includes_pending = svc.settings.approval_required and include_pending
    return Preview(day, target, order, top_first, _footer(top_first, details), includes_pending, pending)


def _footer_entries(
    session: Session, day: dt.date, target: str, approved_only: bool
) -> list[tuple[str, str, str, int, int]]:
    """(image, link, title, width, position) of the day's visible entries in footer order: as delivered
    (the approved columns) or as they stand."""
    if approved_only:
        stmt = select(
            ScheduleEntry.approved_image_url,
            ScheduleEntry.approved_link_url,
            Banner.title,
            Banner.image_width,
            ScheduleEntry.approved_position,
        ).where(ScheduleEntry.approved_position.is_not(None))
        order = (ScheduleEntry.approved_position, ScheduleEntry.id)
    else:
        stmt = select(
            Banner.image_url, Banner.link_url, Banner.title, Banner.image_width, ScheduleEntry.position
        )
        order = (ScheduleEntry.position, ScheduleEntry.id)
    found = session.execute(
        stmt.join(Banner, ScheduleEntry.banner_id == Banner.id)
        .where(ScheduleEntry.date == day, ScheduleEntry.target == target, *visible_banners())
        .order_by(*order)
    )
    return [
        (image or "", link or "", title, width, position or 0)
        for image, link, title, width, position in found
    ]


def render_footer(found: Preview) -> str:
    return render_template("footer.html", banners=found.footer, date=found.date, target=found.target)


def priority_order(target: str) -> PriorityOrder:
    """The target's ranking: from the targets file when there is one."""
    settings = services().settings
    if not settings.targets_file:
        return PriorityOrder.TOP_IS_ONE
    spec = load_targets(settings.targets_file, settings).get(target)
    return spec.priority_order if spec else PriorityOrder.TOP_IS_ONE


def _footer(rows: list[DeliveryRow], details: Sequence[tuple[str, str, str, int]]) -> list[FooterBanner]:
    """Pair each row with its banner's title and size. Rows stay the truth: a detail that does not match
    its row (the schedule changed between the two reads) gives way to a title-less image."""
    footer = []
    for index, row in enumerate(rows):
        detail = details[index] if index < len(details) else None
        if detail is not None and (detail[0], detail[1]) == (row.image_url, row.link_url):
            footer.append(FooterBanner(row.image_url, row.link_url, detail[2], min(detail[3], FOOTER_WIDTH)))
        else:
            footer.append(FooterBanner(row.image_url, row.link_url, "", None))
    return footer
