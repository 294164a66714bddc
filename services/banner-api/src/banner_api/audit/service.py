"""Reading the audit trail: filtered by object, actor, time span and the footer day a write touched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from banner_api.auth.current import current_principal
from banner_api.auth.roles import Principal
from banner_api.context import services
from banner_api.errors import field_error
from banner_common.models import AuditEvent


@dataclass(frozen=True)
class AuditQuery:
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
    action: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    date: dt.date | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class AuditPage:
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def list_events(query: AuditQuery) -> AuditPage:
    """Matching audit rows, oldest first, so the trail reads as the story of the changes."""
    principal = current_principal()
    conditions = _conditions(query, principal)
    with services().unit_of_work() as uow:
        total = uow.session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
        events = uow.session.scalars(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.id)
            .limit(query.limit)
            .offset(query.offset)
        ).all()
        items = [_visible(event, principal) for event in events]
    return AuditPage(items, total, query.limit, query.offset)


def _conditions(query: AuditQuery, principal: Principal) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (AuditEvent.object_type, query.object_type),
        (AuditEvent.object_id, query.object_id),
        (AuditEvent.actor, query.actor),
        (AuditEvent.action, query.action),
    ):
        if value is not None:
            conditions.append(column == value)
    for name, moment in (("from", query.start), ("to", query.end)):
        if moment is not None and moment.tzinfo is None:
            raise field_error(name, "give a time zone offset, e.g. 2026-12-01T00:00:00+09:00", "query")
    if query.start is not None:
        conditions.append(AuditEvent.at >= query.start)
    if query.end is not None:
        conditions.append(AuditEvent.at < query.end)
    if query.date is not None:
        conditions.extend([AuditEvent.first_day <= query.date, AuditEvent.last_day >= query.date])
    if principal.campaign_types is not None:
        # A reader narrowed to campaign types sees only writes involving them.
        conditions.append(
            or_(
                *(
                    AuditEvent.campaign_types.contains(f",{kind},")
                    for kind in sorted(principal.campaign_types)
                )
            )
        )
    return conditions


def _visible(event: AuditEvent, principal: Principal) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": _narrowed(event.before, principal),
        "after": _narrowed(event.after, principal),
        "request_id": event.request_id,
        "first_day": event.first_day,
        "last_day": event.last_day,
    }


def _narrowed(state: dict[str, Any] | None, principal: Principal) -> dict[str, Any] | None:
    """A day's snapshot shows a narrowed reader only the entries of its campaign types."""
    if state is None or principal.campaign_types is None or "entries" not in state:
        return state
    entries = [e for e in state["entries"] if principal.sees_campaign_type(str(e.get("campaign_type")))]
    return {**state, "entries": entries}
