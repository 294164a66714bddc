"""Marshmallow schemas of the approval endpoints."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from banner_api.fields import RowId
from banner_api.schedule.schemas import ScheduleEntryWithBannerSchema


class PendingQuerySchema(Schema):
    target = fields.String(metadata={"description": "One target (default: all)."})
    start_date = fields.Date(metadata={"description": "Pending entries on or after this day."})
    end_date = fields.Date(metadata={"description": "Pending entries on or before this day."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2_147_483_647))

    @validates_schema
    def _range_is_ordered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("start_date"), data.get("end_date")
        if first is not None and last is not None and last < first:
            raise ValidationError("must not be before start_date", "end_date")


class PendingPageSchema(Schema):
    items = fields.List(fields.Nested(ScheduleEntryWithBannerSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class ApproveEntriesSchema(Schema):
    entry_ids = fields.List(
        RowId(),
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Entries to approve, all or none."},
    )


class TargetQuerySchema(Schema):
    target = fields.String(required=True, metadata={"description": "Delivery target."})


class ApprovedSchema(Schema):
    entries = fields.List(fields.Nested(ScheduleEntryWithBannerSchema))
    count = fields.Integer()
