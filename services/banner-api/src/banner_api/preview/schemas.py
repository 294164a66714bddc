"""Marshmallow schemas of the preview resource."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PreviewQuerySchema(Schema):
    date = fields.Date(required=True, metadata={"description": "Day in the business time zone."})
    target = fields.String(required=True, metadata={"description": "Delivery target."})
    format = fields.String(
        validate=validate.OneOf(["json", "html"]),
        metadata={"description": "html: the footer block (same as Accept: text/html)."},
    )


class DeliveryRowSchema(Schema):
    """One row exactly as the target's delivery table will hold it."""

    image_url = fields.String()
    link_url = fields.String()
    priority = fields.Integer()
    start_at = fields.DateTime(format="iso", metadata={"description": "Local midnight, with offset."})
    end_at = fields.DateTime(format="iso", metadata={"description": "The next local midnight, with offset."})


class PreviewSchema(Schema):
    date = fields.Date()
    target = fields.String()
    priority_order = fields.String(metadata={"description": "top_is_one or larger_is_top."})
    rows = fields.List(fields.Nested(DeliveryRowSchema), metadata={"description": "Top of the footer first."})
