"""The footer of one day and target, derived by delivery_rows exactly as the sync worker derives it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from flask import render_template
from sqlalchemy import select

from banner_api.context import services
from banner_api.errors import field_error
from banner_common.delivery import DayWindow, DeliveryRow, PriorityOrder, delivery_rows
from banner_common.models import Banner, ScheduleEntry
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
class Preview:
    date: dt.date
    target: str
    priority_order: PriorityOrder
    rows: list[DeliveryRow]
    footer: list[FooterBanner]


def preview(day: dt.date, target: str) -> Preview:
    """The delivery rows of the day, top of the footer first, with what the HTML footer needs of each."""
    svc = services()
    if target not in svc.target_names:
        known = ", ".join(svc.target_names)
        raise field_error("target", f"unknown target {target!r}; known: {known}", "query")
    order = priority_order(target)
    with svc.unit_of_work() as uow:
        rows = delivery_rows(uow.session, target, DayWindow.single(day), svc.settings.tz, order)
        details = [
            (image_url, link_url, title, width)
            for image_url, link_url, title, width in uow.session.execute(
                select(Banner.image_url, Banner.link_url, Banner.title, Banner.image_width)
                .join(ScheduleEntry, ScheduleEntry.banner_id == Banner.id)
                .where(ScheduleEntry.date == day, ScheduleEntry.target == target)
                .order_by(ScheduleEntry.position, ScheduleEntry.id)
            )
        ]
    top_first = sorted(rows, key=lambda row: row.priority, reverse=order is PriorityOrder.LARGER_IS_TOP)
    return Preview(day, target, order, top_first, _footer(top_first, details))


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
