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
    include_pending = fields.Boolean(
        load_default=False,
        metadata={
            "description": "With approval required: the footer with pending changes, not as it will be "
            "delivered now."
        },
    )


class DeliveryRowSchema(Schema):
    """One row exactly as the target's delivery table will hold it."""

    image_url = fields.String()
    link_url = fields.String()
    priority = fields.Integer()
    start_at = fields.DateTime(format="iso", metadata={"description": "Local midnight, with offset."})
    end_at = fields.DateTime(format="iso", metadata={"description": "The next local midnight, with offset."})


class PendingEntrySchema(Schema):
    entry_id = fields.Integer()
    banner_id = fields.Integer()
    title = fields.String()
    position = fields.Integer(metadata={"description": "Its place once approved."})
    authors = fields.List(fields.String(), metadata={"description": "Who made the pending change."})


class PreviewSchema(Schema):
    date = fields.Date()
    target = fields.String()
    priority_order = fields.String(metadata={"description": "top_is_one or larger_is_top."})
    rows = fields.List(fields.Nested(DeliveryRowSchema), metadata={"description": "Top of the footer first."})
    includes_pending = fields.Boolean(
        metadata={"description": "true: with pending changes; false: as it will be delivered."}
    )
    pending = fields.List(
        fields.Nested(PendingEntrySchema),
        metadata={"description": "Entries of the day waiting for approval."},
    )
