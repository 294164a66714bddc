"""The audit trail endpoint (read only: audit rows are never changed or deleted through the API)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint

from banner_api.audit import service
from banner_api.audit.schemas import AuditPageSchema, AuditQuerySchema

blp = Blueprint("audit", __name__, description="Who changed what, when, and what it was before")


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(HTTPStatus.OK, AuditPageSchema)
def list_events(query: dict[str, Any]) -> service.AuditPage:
    """Audit rows, oldest first; `date` finds every write that changed that day's footer"""
    return service.list_events(service.AuditQuery(**query))
