"""Marshmallow schemas of the banner resource."""

from __future__ import annotations

from marshmallow import Schema, fields


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
    archived = fields.Boolean()
    archived_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()
