"""Annotation endpoints: add a note to the timeline; read the timeline the way Grafana queries it."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint

from banner_api.annotations import schemas, service
from banner_api.context import services
from banner_api.errors import field_error
from banner_common.models import utcnow

blp = Blueprint("annotations", __name__, description="Timeline of notable events for the dashboards")


@blp.route("/annotations", methods=["POST"])
@blp.arguments(schemas.AnnotationCreateSchema)
@blp.response(HTTPStatus.CREATED, schemas.AnnotationSchema)
def create_annotation(body: dict[str, Any]) -> dict[str, Any]:
    """Add an annotation (planners and operators)"""
    svc = services()
    return service.create_annotation(svc.unit_of_work(), svc.target_names, body)


@blp.route("/annotations", methods=["GET"])
@blp.arguments(schemas.AnnotationQuerySchema, location="query")
@blp.response(HTTPStatus.OK, schemas.AnnotationSchema(many=True))
def list_annotations(query: dict[str, Any]) -> list[dict[str, Any]]:
    """Events overlapping from..to, oldest first: a JSON array a Grafana annotation query reads"""
    end = query.get("end") or utcnow()
    start = query.get("start") or service.default_window(end)[0]
    tags = tuple(tag.strip() for tag in query.get("tags", "").split(",") if tag.strip())
    if any(len(tag) > 64 for tag in tags):
        raise field_error("tags", "a tag is at most 64 characters", "query")
    if len(tags) > 20:
        raise field_error("tags", "at most 20 tags", "query")
    timeline_query = service.TimelineQuery(start, end, tags, query["match_any"], query["limit"])
    return service.timeline(services().unit_of_work(), timeline_query)
