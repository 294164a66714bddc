"""Marshmallow schemas of annotations; times are ISO 8601 with an offset, or epoch milliseconds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MIN_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MAX_TIME = dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="must not contain NUL characters")
TAG_PATTERN = r"^[A-Za-z0-9_.:/-]{1,64}$"
TAG = validate.Regexp(TAG_PATTERN, error="tags are 1-64 letters, digits or _ . : / -")


class Moment(fields.Field):  # type: ignore[type-arg]
    """A point in time: epoch milliseconds (what Grafana sends as ${__from}) or ISO 8601 with an offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        if isinstance(value, bool):
            raise ValidationError("give epoch milliseconds or an ISO 8601 time with an offset")
        if isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
            millis = int(value)
            if not 0 <= millis <= MAX_EPOCH_MS:
                raise ValidationError("epoch milliseconds must be between 0 and 253402300799999")
            return dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
        if not isinstance(value, str):
            raise ValidationError("give epoch milliseconds or an ISO 8601 time with an offset")
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError("not an ISO 8601 time") from exc
        if moment.tzinfo is None:
            raise ValidationError("give a time zone offset, e.g. 2026-12-01T09:00:00+09:00")
        try:
            in_utc = moment.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError("time out of range") from exc
        if not MIN_TIME <= in_utc <= MAX_TIME:
            raise ValidationError("time out of range (1970 to 9999)")
        return in_utc


class AnnotationCreateSchema(Schema):
    text = fields.String(required=True, validate=[validate.Length(min=1, max=4000), NO_NUL])
    title = fields.String(validate=[validate.Length(max=200), NO_NUL])
    tags = fields.List(fields.String(validate=TAG), validate=validate.Length(max=20))
    time = Moment(metadata={"description": "When (default: now)"})
    time_end = Moment(data_key="timeEnd", metadata={"description": "End of a span (a region on the graphs)"})
    target = fields.String(
        validate=[validate.Length(max=64), NO_NUL], metadata={"description": "Scoped to a target"}
    )


class AnnotationQuerySchema(Schema):
    start = Moment(data_key="from", metadata={"description": "Default: 24 hours before `to`"})
    end = Moment(data_key="to", metadata={"description": "Default: now"})
    tags = fields.String(
        validate=validate.Regexp(
            r"^[A-Za-z0-9_.:/,-]{0,1500}$", error="comma separated tags of A-Z a-z 0-9 _ . : / -"
        ),
        metadata={"description": "Comma separated; an event must carry all of them (any with matchAny)"},
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
