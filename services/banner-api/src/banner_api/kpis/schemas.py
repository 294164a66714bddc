"""Marshmallow schemas of the KPI resource (read only)."""

from __future__ import annotations

from marshmallow import Schema, fields


class TargetKpiSchema(Schema):
    target = fields.String()
    banners_live_today = fields.Integer(metadata={"description": "distinct banners scheduled today"})
    usual_banners_per_day = fields.Integer(
        allow_none=True,
        metadata={"description": "median of the past 28 days that had banners; null without history"},
    )
    coverage_gap_days = fields.List(fields.Date(), metadata={"description": "coming days with no banner"})
    coverage_gap_count = fields.Integer()
    coverage_gap_tomorrow = fields.Boolean()
    thin_days = fields.List(fields.Date(), metadata={"description": "coming days with fewer than usual"})
    thin_day_count = fields.Integer()


class HorizonSchema(Schema):
    first = fields.Date()
    last = fields.Date()


class EndingBannerSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    last_day = fields.Date()


class EndingSoonSchema(Schema):
    within_days = fields.Integer()
    count = fields.Integer()
    items = fields.List(fields.Nested(EndingBannerSchema), metadata={"description": "at most 50"})


class ChangesOnDaySchema(Schema):
    date = fields.Date()
    changes = fields.Integer()


class ActivePlannersSchema(Schema):
    since = fields.Date(metadata={"description": "Monday of this week (business time zone)"})
    count = fields.Integer()
    names = fields.List(fields.String())


class SourceCountSchema(Schema):
    total = fields.Integer()
    last_30_days = fields.Integer()


class KpiSchema(Schema):
    as_of = fields.DateTime()
    today = fields.Date()
    timezone = fields.String()
    horizon = fields.Nested(HorizonSchema)
    targets = fields.List(fields.Nested(TargetKpiSchema))
    banners_ending_soon = fields.Nested(EndingSoonSchema)
    schedule_changes_per_day = fields.List(fields.Nested(ChangesOnDaySchema))
    active_planners_this_week = fields.Nested(ActivePlannersSchema)
    banners_by_source = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(SourceCountSchema),
        metadata={"description": "registered | imported: banners not archived, and those added in 30 days"},
    )
