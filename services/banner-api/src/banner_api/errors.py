"""Domain errors and their JSON form: one shape for every 4xx, naming the fields at fault."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_smorest import Api
from marshmallow import Schema, fields
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from banner_common.logging import get_logger

log = get_logger(__name__)


class DomainError(Exception):
    """A request that breaks a rule. `fields` maps a field name to its messages."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(
        self, message: str, fields: dict[str, list[str]] | None = None, location: str = "json"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.location = location


class ValidationFailed(DomainError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY


class NotFound(DomainError):
    status = HTTPStatus.NOT_FOUND


class Conflict(DomainError):
    status = HTTPStatus.CONFLICT


class PreconditionFailed(DomainError):
    status = HTTPStatus.PRECONDITION_FAILED


class PreconditionRequired(DomainError):
    status = HTTPStatus.PRECONDITION_REQUIRED


def field_error(field: str, message: str, location: str = "json") -> ValidationFailed:
    return ValidationFailed(f"invalid {field}: {message}", {field: [message]}, location)


def error_body(status: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    return body


def _fields_named(errors: dict[str, Any]) -> list[str]:
    return sorted({field for by_field in errors.values() if isinstance(by_field, dict) for field in by_field})


class ErrorSchema(Schema):
    """Every 4xx/5xx body (see error_body)."""

    code = fields.Integer(metadata={"description": "HTTP status code"})
    status = fields.String(metadata={"description": "HTTP status phrase"})
    message = fields.String(metadata={"description": "What went wrong, naming the fields at fault"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        metadata={"description": "Messages by location (json, query, form, files, path) and field"},
    )
    request_id = fields.String(metadata={"description": "Quote it to the operators; also in X-Request-ID"})
    current_etag = fields.String(metadata={"description": "On 412: the current ETag of the resource"})
    current_version = fields.Integer(metadata={"description": "On 412: the current version"})


class JsonErrorApi(Api):  # type: ignore[misc]
    """flask-smorest's Api with every HTTP error in the one JSON shape, naming the fields at fault."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        message = data.get("message") or error.description or HTTPStatus(code).phrase
        if errors and "message" not in data:
            message = "invalid " + ", ".join(_fields_named(errors) or ["request"])
        if code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE and request.mimetype == "multipart/form-data":
            errors = {"files": {"image": ["the upload is far larger than the image size limit"]}}
            message = "invalid image: the request body is too large"
        return jsonify(error_body(code, message, errors)), code, data.get("headers", {})


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError) -> ResponseReturnValue:
        errors = {exc.location: exc.fields} if exc.fields else None
        return jsonify(error_body(int(exc.status), exc.message, errors)), int(exc.status)

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError) -> ResponseReturnValue:
        log.error("banner_database_unavailable", error=str(exc.orig))
        status = HTTPStatus.SERVICE_UNAVAILABLE
        return jsonify(error_body(int(status), "the banner database is unavailable; try again shortly")), int(
            status
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled_error")
        status = HTTPStatus.INTERNAL_SERVER_ERROR
        return jsonify(error_body(int(status), "internal error; quote the request id to the operators")), int(
            status
        )


class Forbidden(DomainError):
    status = HTTPStatus.FORBIDDEN


class Unauthorized(DomainError):
    status = HTTPStatus.UNAUTHORIZED
