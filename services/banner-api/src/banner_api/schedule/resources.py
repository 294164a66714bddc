"""Schedule and calendar endpoints: thin views over schedule.service."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint

from banner_api.errors import error_body
from banner_api.read_cache import cached_read
from banner_api.schedule import service
from banner_api.schedule.schemas import (
    CalendarQuerySchema,
    CalendarSchema,
    DaySchema,
    PlacedSchema,
    PlacementSchema,
    RangeRemovalQuerySchema,
    RemovedSchema,
    ReorderSchema,
    TargetQuerySchema,
    dump_days,
)

schedule_blp = Blueprint("schedule", __name__, description="Place, order and remove banners on days")
calendar_blp = Blueprint("calendar", __name__, description="A month at a glance")

_ETAG_HEADER = {
    "ETag": {
        "description": 'The day\'s version, quoted: send it back in If-Match, e.g. "3"',
        "schema": {"type": "string"},
    }
}
_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": 'The ETag of the day as last read, e.g. "3"; refused with 412 when the day has moved on.',
}
_DATE_PARAM = {"in": "path", "name": "date", "schema": {"type": "string", "format": "date"}, "required": True}


def _ref(status: HTTPStatus) -> str:
    return status.name


@schedule_blp.errorhandler(service.StaleVersion)
def _stale_version(exc: service.StaleVersion) -> ResponseReturnValue:
    """A 412 that carries the day's current ETag, so the client can re-read and retry."""
    body = error_body(int(exc.status), exc.message, {exc.location: exc.fields})
    body["current_version"] = exc.current_version
    body["current_etag"] = f'"{exc.current_version}"'
    response = jsonify(body)
    response.headers["ETag"] = body["current_etag"]
    return response, int(exc.status)


def _version_condition() -> service.VersionCondition | None:
    if "If-Match" not in request.headers:
        return None
    tags = request.if_match
    versions = frozenset(
        # An empty quoted tag ("") parses to None; like any other unusable tag it matches no version.
        int(tag)
        for tag in tags.as_set()
        if tag is not None and tag.isascii() and tag.isdigit() and len(tag) < 18
    )
    return service.VersionCondition(versions, any_version=tags.star_tag)


@schedule_blp.route("/schedule", methods=["POST"])
@schedule_blp.arguments(PlacementSchema)
@schedule_blp.response(HTTPStatus.CREATED, PlacedSchema)
@schedule_blp.alt_response(HTTPStatus.CONFLICT, response=_ref(HTTPStatus.CONFLICT))
def place(body: dict[str, Any]) -> dict[str, Any]:
    """Place a banner on every day of a range (all days or none)

    Refused with 422 for an unknown or archived banner, a bad range, unknown targets or an impossible
    position, and with 409 naming the dates when a day already holds the banner or is full.
    """
    entries = service.place_banner(service.Placement(**body))
    return {"entries": entries, "count": len(entries)}


@schedule_blp.route("/schedule", methods=["DELETE"])
@schedule_blp.arguments(RangeRemovalQuerySchema, location="query")
@schedule_blp.response(HTTPStatus.OK, RemovedSchema)
def remove_range(query: dict[str, Any]) -> dict[str, Any]:
    """Take a banner off every day of a range (all targets unless `targets` is given)"""
    removed = service.remove_banner_range(
        query["banner_id"], query["start_date"], query["end_date"], query.get("targets")
    )
    return {"removed": removed}


@schedule_blp.route("/schedule/days/<date>", methods=["GET"])
@schedule_blp.arguments(TargetQuerySchema, location="query")
@schedule_blp.response(HTTPStatus.OK, DaySchema, headers=_ETAG_HEADER)
@schedule_blp.doc(parameters=[_DATE_PARAM])
def read_day(query: dict[str, Any], date: str) -> Response:
    """One day's ordered banners for one target, with its version as ETag"""

    def build() -> tuple[dict[str, Any], dict[str, str]]:
        day = service.read_day(service.parse_day(date), query["target"])
        return dump_days([day])[0], {"ETag": day.etag}

    return cached_read(build)


@schedule_blp.route("/schedule/days/<date>", methods=["PUT"])
@schedule_blp.arguments(TargetQuerySchema, location="query")
@schedule_blp.arguments(ReorderSchema)
@schedule_blp.response(HTTPStatus.OK, DaySchema, headers=_ETAG_HEADER)
@schedule_blp.alt_response(HTTPStatus.PRECONDITION_FAILED, response=_ref(HTTPStatus.PRECONDITION_FAILED))
@schedule_blp.alt_response(HTTPStatus.PRECONDITION_REQUIRED, response=_ref(HTTPStatus.PRECONDITION_REQUIRED))
@schedule_blp.doc(parameters=[_DATE_PARAM, {**_IF_MATCH, "required": True}])
def reorder_day(query: dict[str, Any], body: dict[str, Any], date: str) -> Any:
    """Reorder one day atomically (If-Match required)

    `entry_ids` must list every entry of the day exactly once, top first.
    """
    day = service.reorder_day(
        service.parse_day(date), query["target"], body["entry_ids"], _version_condition()
    )
    return day, HTTPStatus.OK, {"ETag": day.etag}


@schedule_blp.route("/schedule/entries/<int:entry_id>", methods=["DELETE"])
@schedule_blp.response(HTTPStatus.NO_CONTENT)
@schedule_blp.alt_response(HTTPStatus.NOT_FOUND, response=_ref(HTTPStatus.NOT_FOUND))
@schedule_blp.alt_response(HTTPStatus.PRECONDITION_FAILED, response=_ref(HTTPStatus.PRECONDITION_FAILED))
@schedule_blp.doc(parameters=[_IF_MATCH])
def remove_entry(entry_id: int) -> None:
    """Take one entry off its day; the entries below move up"""
    service.remove_entry(entry_id, _version_condition())


@calendar_blp.route("/calendar", methods=["GET"])
@calendar_blp.arguments(CalendarQuerySchema, location="query")
@calendar_blp.response(HTTPStatus.OK, CalendarSchema)
def read_month(query: dict[str, Any]) -> Response:
    """Every day of a month per target, in date then target order, empty days included"""

    def build() -> tuple[dict[str, Any], dict[str, str]]:
        month = service.read_month(query["month"], query["target"])
        return {"month": month.month, "days": dump_days(month.days)}, {}

    return cached_read(build)
