"""Marshmallow schemas of the sync control and status resource."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

OUTCOMES = ("running", "swapped", "in_sync", "held", "paused", "failed")
TRIGGERS = ("event", "beat", "manual")


class RunSchema(Schema):
    id = fields.Integer()
    target = fields.String()
    trigger = fields.String()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    outcome = fields.String()
    window_first = fields.Date(allow_none=True)
    window_last = fields.Date(allow_none=True)
    rows_deleted = fields.Integer()
    rows_inserted = fields.Integer()
    diff_summary = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    applied_change_id = fields.Integer(allow_none=True)


class TargetStatusSchema(Schema):
    name = fields.String()
    enabled = fields.Boolean()
    paused = fields.Boolean()
    paused_reason = fields.String(allow_none=True)
    in_sync = fields.Boolean(allow_none=True, metadata={"description": "null until the first run"})
    held = fields.Boolean()
    held_diff = fields.Dict(allow_none=True)
    last_outcome = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_run = fields.Nested(RunSchema, allow_none=True)
    last_success_at = fields.DateTime(allow_none=True)
    applied_change_id = fields.Integer()
    pending_changes = fields.Integer(metadata={"description": "committed changes not yet applied"})
    lag_seconds = fields.Float(
        allow_none=True, metadata={"description": "age of the oldest committed change not yet applied"}
    )


class StatusSchema(Schema):
    targets = fields.List(fields.Nested(TargetStatusSchema))


class TargetSchema(Schema):
    """A target's declaration without its secrets."""

    name = fields.String()
    enabled = fields.Boolean()
    declared = fields.Dict(allow_none=True, metadata={"description": "from the targets file, secrets hidden"})


class TargetListSchema(Schema):
    items = fields.List(fields.Nested(TargetSchema))


class RunQuerySchema(Schema):
    target = fields.String()
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    trigger = fields.String(validate=validate.OneOf(TRIGGERS))
    since = fields.DateTime(metadata={"description": "runs started at or after (ISO 8601 with offset)"})
    until = fields.DateTime(metadata={"description": "runs started before"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class RunListSchema(Schema):
    items = fields.List(fields.Nested(RunSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class PauseSchema(Schema):
    reason = fields.String(load_default="paused by an operator", validate=validate.Length(min=1, max=200))


class SyncNowSchema(Schema):
    force = fields.Boolean(
        load_default=False, metadata={"description": "apply a held swap (the guard against mass deletion)"}
    )


class SyncQueuedSchema(Schema):
    target = fields.String()
    queued = fields.Boolean()
    force = fields.Boolean()
