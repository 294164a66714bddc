"""Marshmallow schemas of the banner resource."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

TITLE_MAX = 200
NOTES_MAX = 2000
SEARCH_MAX = 200
PAGE_MAX = 200
OFFSET_MAX = 2_147_483_647
SORT_KEYS = ("id", "title", "created_at", "updated_at")
ARCHIVED_CHOICES = ("false", "true", "all")


class BannerSchema(Schema):
    """A banner as the API returns it (also embedded in schedule entries)."""

    id = fields.Integer(dump_only=True)
    title = fields.String()
    image_url = fields.String()
    image_width = fields.Integer()
    image_height = fields.Integer()
    image_content_type = fields.String()
    image_bytes = fields.Integer()
    link_url = fields.String()
    campaign_type = fields.String()
    notes = fields.String()
    source = fields.String(metadata={"description": '"registered", or "imported" from a legacy table'})
    archived = fields.Boolean()
    archived_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed before it is validated."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).strip()


def _title(required: bool) -> TrimmedString:
    return TrimmedString(
        required=required,
        validate=validate.Length(
            min=1, max=TITLE_MAX, error="must be 1 to {max} characters (after trimming)"
        ),
        metadata={"description": "Shown to planners; 1-200 characters."},
    )


def _notes() -> fields.String:
    return fields.String(
        validate=validate.Length(max=NOTES_MAX, error="must be at most {max} characters"),
        metadata={"description": "Free notes for planners, up to 2000 characters."},
    )


class BannerCreateFormSchema(Schema):
    """The text fields of a banner registration (multipart/form-data)."""

    title = _title(required=True)
    link_url = fields.String(required=True, metadata={"description": "An absolute http(s) URL."})
    campaign_type = fields.String(required=True, metadata={"description": "One of the configured types."})
    notes = _notes()


class BannerUpdateSchema(Schema):
    """The banner fields a PATCH may change; absent fields stay as they are."""

    title = _title(required=False)
    link_url = fields.String(metadata={"description": "An absolute http(s) URL."})
    campaign_type = fields.String(metadata={"description": "One of the configured types."})
    notes = _notes()


class ImageUploadSchema(Schema):
    """The image file of a registration."""

    image = Upload(required=True, metadata={"description": "PNG, JPEG or GIF; extension must match content."})


class OptionalImageUploadSchema(Schema):
    """A replacement image, optional in a PATCH."""

    image = Upload(metadata={"description": "PNG, JPEG or GIF replacing the current image."})


class BannerUploadDocSchema(BannerCreateFormSchema, ImageUploadSchema):
    """Documentation only: the whole multipart body of a registration."""


class BannerUpdateUploadDocSchema(BannerUpdateSchema, OptionalImageUploadSchema):
    """Documentation only: the multipart form of a PATCH."""


class ArchiveQuerySchema(Schema):
    force = fields.Boolean(
        load_default=False,
        metadata={"description": "Archive even if scheduled on upcoming days, removing those entries."},
    )


class BannerSearchSchema(Schema):
    """Query parameters of the banner list."""

    q = fields.String(
        validate=validate.Length(max=SEARCH_MAX),
        metadata={"description": "Words that must all appear in the title or link URL (any case)."},
    )
    campaign_type = fields.String()
    archived = fields.String(load_default="false", validate=validate.OneOf(ARCHIVED_CHOICES))
    scheduled_from = fields.Date(
        metadata={"description": "Only banners with an entry on or after this date."}
    )
    scheduled_to = fields.Date(metadata={"description": "Only banners with an entry on or before this date."})
    target = fields.String(
        metadata={"description": "Only banners with an entry for this target (within scheduled_from/to)."}
    )
    sort = fields.String(
        load_default="-created_at",
        validate=validate.OneOf([*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)]),
        metadata={"description": "id, title, created_at or updated_at; prefix '-' for descending."},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=PAGE_MAX))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=OFFSET_MAX))

    @validates_schema
    def _range_is_ordered(self, data: dict[str, Any], **_kwargs: Any) -> None:
        first, last = data.get("scheduled_from"), data.get("scheduled_to")
        if first is not None and last is not None and last < first:
            raise ValidationError("must not be before scheduled_from", "scheduled_to")


class BannerPageSchema(Schema):
    items = fields.List(fields.Nested(BannerSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()
