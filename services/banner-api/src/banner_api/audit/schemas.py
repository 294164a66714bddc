"""Marshmallow schemas of the audit trail."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

OBJECT_TYPES = ("banner", "schedule_day", "target", "user", "token")


class AuditQuerySchema(Schema):
    object_type = fields.String(validate=validate.OneOf(OBJECT_TYPES))
    object_id = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "e.g. a banner id, 2026-12-03/personalized for a day, a user name"},
    )
    actor = fields.String(validate=validate.Length(max=200))
    action = fields.String(validate=validate.Length(max=64), metadata={"description": "e.g. schedule.place"})
    start = fields.DateTime(
        data_key="from", metadata={"description": "Writes at or after (ISO 8601 with offset)."}
    )
    end = fields.DateTime(data_key="to", metadata={"description": "Writes before (ISO 8601 with offset)."})
    date = fields.Date(metadata={"description": "Writes that changed the footer of this day."})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2_147_483_647))


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    before = fields.Dict(
        allow_none=True, metadata={"description": "The object before the write (null: new)."}
    )
    after = fields.Dict(allow_none=True, metadata={"description": "The object after the write (null: gone)."})
    request_id = fields.String()
    first_day = fields.Date(allow_none=True)
    last_day = fields.Date(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
