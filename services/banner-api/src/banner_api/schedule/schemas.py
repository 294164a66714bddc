"""Marshmallow schemas of the schedule and calendar resources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from banner_api.banners.schemas import BannerSchema
from banner_api.fields import RowId

# A day's display ends at the next midnight, which must itself be a date.
LAST_DAY = dt.date.max - dt.timedelta(days=1)


class PlacementSchema(Schema):
    """Place one banner on every day of a range, for some or all targets."""

    banner_id = RowId(required=True)
    start_date = fields.Date(
        required=True,
        validate=validate.Range(max=LAST_DAY),
        metadata={"description": "First day (business time zone)."},
    )
    end_date = fields.Date(
        load_default=None,
        allow_none=True,
        validate=validate.Range(max=LAST_DAY),
        metadata={"description": "Last day, inclusive (default: start)."},
    )
    position = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "1 = top; 1..n+1 on every day of the range (default: last)."},
    )
    targets = fields.List(
        fields.String(),
        load_default=None,
        allow_none=True,
        metadata={"description": "Delivery targets (default: all)."},
    )


class ScheduleEntrySchema(Schema):
    id = fields.Integer()
    banner_id = fields.Integer()
    date = fields.Date()
    target = fields.String()
    position = fields.Integer(metadata={"description": "1 = top of the footer, per date and target."})
    approval = fields.String(
        metadata={"description": "approved, or pending: changed and not yet approved (not delivered as is)."}
    )
    changed_by = fields.Method(
        "_authors", metadata={"description": "Who made the changes waiting for approval."}
    )
    approved_by = fields.String(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)

    def _authors(self, entry: Any) -> list[str]:
        return [name for name in str(getattr(entry, "changed_by", "") or "").split(",") if name]


class ScheduleEntryWithBannerSchema(ScheduleEntrySchema):
    banner = fields.Nested(BannerSchema)


class PlacedSchema(Schema):
    entries = fields.List(fields.Nested(ScheduleEntrySchema))
    count = fields.Integer()


class TargetQuerySchema(Schema):
    target = fields.String(required=True, metadata={"description": "Delivery target."})


class DaySchema(Schema):
    """One day's ordered list for one target; `version` is the ETag to send back in If-Match."""

    date = fields.Date()
    target = fields.String()
    version = fields.Integer()
    pending = fields.Integer(metadata={"description": "Entries of the day waiting for approval."})
    entries = fields.List(fields.Nested(ScheduleEntryWithBannerSchema))


class ReorderSchema(Schema):
    entry_ids = fields.List(
        RowId(),
        required=True,
        metadata={"description": "Every entry id of the day, each once, top first."},
    )


class RangeRemovalQuerySchema(Schema):
    banner_id = RowId(required=True, strict=False)
    start_date = fields.Date(required=True)
    end_date = fields.Date(
        load_default=None, metadata={"description": "Last day, inclusive (default: start)"}
    )
    targets = DelimitedList(fields.String(), metadata={"description": "Comma separated (default: all)."})


class RemovedSchema(Schema):
    removed = fields.Integer(metadata={"description": "Entries removed."})


class CalendarQuerySchema(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM", "example": "2026-03"})
    target = fields.String(load_default=None, metadata={"description": "One target (default: all)."})


class CalendarSchema(Schema):
    month = fields.String()
    days = fields.List(fields.Nested(DaySchema))


_BANNER = BannerSchema()


def dump_days(days: Iterable[Any]) -> list[dict[str, Any]]:
    """What `DaySchema(many=True).dump(days)` gives, built directly, each banner dumped once.

    A month of ten banners a day nests ~300 entries; marshmallow serialising each entry's whole banner
    field by field was two thirds of the calendar's time. Tests hold the two equal.
    """
    banners: dict[int, dict[str, Any]] = {}

    def banner(value: Any) -> dict[str, Any]:
        dumped = banners.get(value.id)
        if dumped is None:
            dumped = banners[value.id] = _BANNER.dump(value)
        return dumped

    return [
        {
            "date": day.date.isoformat(),
            "target": day.target,
            "version": day.version,
            "pending": day.pending,
            "entries": [
                {
                    "id": entry.id,
                    "banner_id": entry.banner_id,
                    "date": entry.date.isoformat(),
                    "target": entry.target,
                    "position": entry.position,
                    "approval": entry.approval,
                    "changed_by": [name for name in (entry.changed_by or "").split(",") if name],
                    "approved_by": entry.approved_by,
                    "approved_at": None if entry.approved_at is None else entry.approved_at.isoformat(),
                    "banner": banner(entry.banner),
                }
                for entry in day.entries
            ],
        }
        for day in days
    ]
