"""Marshmallow schemas of annotations; times are ISO 8601 with an offset, or epoch milliseconds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

TAG = validate.Regexp(r"^[A-Za-z0-9_.:/-]{1,64}$", error="tags are 1-64 letters, digits or _ . : / -")


class Moment(fields.Field):  # type: ignore[type-arg]
    """A point in time: epoch milliseconds (what Grafana sends as ${__from}) or ISO 8601 with an offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, bool):
            raise ValidationError("give epoch milliseconds or an ISO 8601 time with an offset")
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            millis = int(value)
            if millis > 253_402_300_799_999:  # past 9999-12-31
                raise ValidationError("epoch milliseconds out of range")
            return dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
        if not isinstance(value, str):
            raise ValidationError("give epoch milliseconds or an ISO 8601 time with an offset")
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError("not an ISO 8601 time") from exc
        if moment.tzinfo is None:
            raise ValidationError("give a time zone offset, e.g. 2026-12-01T09:00:00+09:00")
        return moment.astimezone(dt.UTC)


class AnnotationCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    title = fields.String(validate=validate.Length(max=200))
    tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=20))
    time = Moment(metadata={"description": "When (default: now)"})
    time_end = Moment(data_key="timeEnd", metadata={"description": "End of a span (a region on the graphs)"})
    target = fields.String(validate=validate.Length(max=64), metadata={"description": "Scoped to a target"})


class AnnotationQuerySchema(Schema):
    start = Moment(data_key="from", metadata={"description": "Default: 24 hours before `to`"})
    end = Moment(data_key="to", metadata={"description": "Default: now"})
    tags = fields.String(
        metadata={"description": "Comma separated; an event must carry all of them (any with matchAny)"}
    )
    match_any = fields.Boolean(data_key="matchAny", load_default=False)
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10000))


class AnnotationSchema(Schema):
    id = fields.String(metadata={"description": "note-<n> for people's notes; swap-, held-, audit- derived"})
    time = fields.Integer(metadata={"description": "Epoch milliseconds"})
    timeEnd = fields.Integer(metadata={"description": "Epoch milliseconds; equals time for a moment"})
    isRegion = fields.Boolean()
    title = fields.String()
    text = fields.String()
    tags = fields.List(fields.String())
    kind = fields.String(metadata={"description": "note, swap, held, pause, resume or import"})
    source = fields.String(metadata={"description": "user or system"})
    target = fields.String(allow_none=True)
    author = fields.String(allow_none=True)
