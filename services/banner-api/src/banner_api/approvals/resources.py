"""Approval endpoints: thin views over approvals.service."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint

from banner_api.approvals import service
from banner_api.approvals.schemas import (
    ApprovedSchema,
    ApproveEntriesSchema,
    PendingPageSchema,
    PendingQuerySchema,
    TargetQuerySchema,
)
from banner_api.schedule.schemas import ScheduleEntryWithBannerSchema
from banner_api.schedule.service import parse_day

blp = Blueprint("approvals", __name__, description="Four-eyes approval of schedule changes")

_DATE_PARAM = {"in": "path", "name": "date", "schema": {"type": "string", "format": "date"}, "required": True}


@blp.route("/approvals", methods=["GET"])
@blp.arguments(PendingQuerySchema, location="query")
@blp.response(HTTPStatus.OK, PendingPageSchema)
def list_pending(query: dict[str, Any]) -> service.PendingPage:
    """Schedule entries waiting for approval (not delivered as they stand)"""
    return service.list_pending(service.PendingQuery(**query))


@blp.route("/approvals", methods=["POST"])
@blp.arguments(ApproveEntriesSchema)
@blp.response(HTTPStatus.OK, ApprovedSchema)
def approve_entries(body: dict[str, Any]) -> service.Approved:
    """Approve a batch of entries (refused with 403 if you made any of their pending changes)"""
    return service.approve_entries(body["entry_ids"])


@blp.route("/schedule/entries/<int:entry_id>/approve", methods=["POST"])
@blp.response(HTTPStatus.OK, ScheduleEntryWithBannerSchema)
def approve_entry(entry_id: int) -> Any:
    """Approve one entry: its current place, image and link go to the targets"""
    return service.approve_entry(entry_id)


@blp.route("/schedule/days/<date>/approve", methods=["POST"])
@blp.arguments(TargetQuerySchema, location="query")
@blp.response(HTTPStatus.OK, ApprovedSchema)
@blp.doc(parameters=[_DATE_PARAM])
def approve_day(query: dict[str, Any], date: str) -> service.Approved:
    """Approve every pending entry of one day and target"""
    return service.approve_day(parse_day(date), query["target"])
