"""Domain errors and their JSON form: one shape for every 4xx, naming the fields at fault."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, g, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError

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
