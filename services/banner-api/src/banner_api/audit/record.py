"""Appending audit rows inside the writing transaction, and the snapshots they carry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from banner_api.auth.current import current_principal, request_id
from banner_common.models import AuditEvent, Banner, ScheduleEntry

DayKey = tuple[dt.date, str]
BANNER_FIELDS = ("title", "link_url", "image_url", "campaign_type", "notes", "archived", "version")


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: object,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    *,
    days: tuple[dt.date, dt.date] | None = None,
    campaign_types: Iterable[str] = (),
) -> AuditEvent:
    """Add one audit row to the session: it commits, or rolls back, with the write it describes."""
    kinds = sorted(set(campaign_types))
    event = AuditEvent(
        actor=current_principal().name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        request_id=request_id(),
        first_day=days[0] if days else None,
        last_day=days[1] if days else None,
        campaign_types=f",{','.join(kinds)}," if kinds else "",
    )
    session.add(event)
    return event


def banner_state(banner: Banner) -> dict[str, Any]:
    return {"id": banner.id, **{name: getattr(banner, name) for name in BANNER_FIELDS}}


def day_object_id(day: dt.date, target: str) -> str:
    return f"{day.isoformat()}/{target}"


def day_states(session: Session, keys: Iterable[DayKey]) -> dict[DayKey, dict[str, Any]]:
    """What each day's footer holds right now, read from the database (not from loaded objects)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    targets = sorted({target for _, target in wanted})
    session.flush()
    rows = session.execute(
        select(
            ScheduleEntry.date,
            ScheduleEntry.target,
            ScheduleEntry.id,
            ScheduleEntry.banner_id,
            ScheduleEntry.position,
            ScheduleEntry.approval,
            ScheduleEntry.approved_position,
            ScheduleEntry.approved_image_url,
            ScheduleEntry.approved_link_url,
            Banner.title,
            Banner.campaign_type,
            Banner.image_url,
            Banner.link_url,
        )
        .join(Banner, Banner.id == ScheduleEntry.banner_id)
        .where(
            ScheduleEntry.target.in_(targets),
            ScheduleEntry.date >= wanted[0][0],
            ScheduleEntry.date <= wanted[-1][0],
        )
        .order_by(ScheduleEntry.date, ScheduleEntry.target, ScheduleEntry.position, ScheduleEntry.id)
    )
    states: dict[DayKey, dict[str, Any]] = {
        (day, target): {"date": day.isoformat(), "target": target, "entries": []} for day, target in wanted
    }
    for row in rows:
        state = states.get((row.date, row.target))
        if state is None:
            continue
        state["entries"].append(
            {
                "id": row.id,
                "banner_id": row.banner_id,
                "title": row.title,
                "campaign_type": row.campaign_type,
                "position": row.position,
                "image_url": row.image_url,
                "link_url": row.link_url,
                "approval": row.approval,
                "approved_position": row.approved_position,
                "approved_image_url": row.approved_image_url,
                "approved_link_url": row.approved_link_url,
            }
        )
    return states


def record_days(
    session: Session,
    action: str,
    before: Mapping[DayKey, Mapping[str, Any]],
    after: Mapping[DayKey, Mapping[str, Any]],
) -> None:
    """One audit row per day whose footer changed, with the whole day before and after."""
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        kinds = {
            entry["campaign_type"] for state in (old, new) if state for entry in state.get("entries", [])
        }
        record(
            session,
            action,
            "schedule_day",
            day_object_id(*key),
            old,
            new,
            days=(key[0], key[0]),
            campaign_types=kinds,
        )
