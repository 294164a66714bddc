"""The gate every request passes: body size, authentication, the endpoint's rule, and rate limits."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from http import HTTPStatus

from flask import Flask, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from sqlalchemy.orm import Session, sessionmaker

from banner_api.auth.authenticate import AuthenticationFailed, PrincipalCache, authenticate
from banner_api.auth.oidc import OidcVerifier
from banner_api.auth.policy import PUBLIC_ENDPOINTS, rule_for
from banner_api.errors import error_body
from banner_common.logging import get_logger
from banner_common.settings import Settings

log = get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXPOSED_HEADERS = ["ETag", "Location", "X-Request-ID", "Retry-After"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "X-Request-ID"]


@dataclass
class Gate:
    session_factory: sessionmaker[Session]
    oidc: OidcVerifier | None
    limiter: Limiter
    write_limit: RateLimitItem | None
    failed_auth_limit: RateLimitItem | None
    json_max_bytes: int
    principals: PrincipalCache


def install_gate(
    app: Flask, settings: Settings, session_factory: sessionmaker[Session], oidc: OidcVerifier | None
) -> Gate:
    """Register CORS (only for configured origins) and the before-request gate on the app."""
    if settings.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(settings.cors_origins)}},
            expose_headers=EXPOSED_HEADERS,
            allow_headers=ALLOWED_HEADERS,
            max_age=600,
        )
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.rate_limit_storage_url or settings.redis_url,
        default_limits=[],
        key_prefix="mailbanner",
    )
    gate = Gate(
        session_factory=session_factory,
        oidc=oidc,
        limiter=limiter,
        write_limit=parse(settings.rate_limit_writes) if settings.rate_limit_writes else None,
        failed_auth_limit=parse(settings.rate_limit_failed_auth) if settings.rate_limit_failed_auth else None,
        json_max_bytes=settings.json_max_bytes,
        principals=PrincipalCache(settings.auth_cache_seconds),
    )
    app.extensions["mailbanner_gate"] = gate
    app.before_request(lambda: _check(gate))
    return gate


def forget_principals() -> None:
    """Drop this process's cached token checks: a token was revoked or a user changed."""
    gate: Gate | None = current_app.extensions.get("mailbanner_gate")
    if gate is not None:
        gate.principals.forget()


def _check(gate: Gate) -> ResponseReturnValue | None:
    if request.method == "OPTIONS":
        return None  # CORS preflight carries no credentials; Flask answers it without running a view
    too_large = _body_too_large(gate)
    if too_large is not None:
        return too_large
    endpoint = request.url_rule.endpoint if request.url_rule is not None else None
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None  # unknown paths and methods answer 404/405 as usual
    client = get_remote_address()
    if gate.failed_auth_limit is not None and not _within(
        gate, gate.failed_auth_limit, "auth-failed", client
    ):
        return _too_many(gate, gate.failed_auth_limit, ("auth-failed", client), "failed authentications")
    try:
        principal = authenticate(
            request.headers.get("Authorization"), gate.session_factory, gate.oidc, gate.principals
        )
    except AuthenticationFailed as exc:
        if gate.failed_auth_limit is not None:
            _hit(gate, gate.failed_auth_limit, "auth-failed", client)
        log.info("authentication_failed", reason=str(exc), endpoint=endpoint)
        return _refusal(HTTPStatus.UNAUTHORIZED, str(exc))
    rule = rule_for(endpoint)
    if rule is None:
        log.error("endpoint_without_rule", endpoint=endpoint)
        return _refusal(HTTPStatus.FORBIDDEN, "this endpoint has no access rule; nobody may call it")
    if not principal.can(rule.permission):
        return _refusal(
            HTTPStatus.FORBIDDEN,
            f"{principal.name} may not do this: it needs the {rule.permission.value} permission "
            f"(roles: {', '.join(sorted(principal.roles)) or 'none'})",
        )
    if not principal.sees_view(rule.view):
        return _refusal(HTTPStatus.FORBIDDEN, f"{principal.name} is not allowed the {rule.view} view")
    if (
        request.method not in SAFE_METHODS
        and gate.write_limit is not None
        and not _hit(gate, gate.write_limit, "writes", principal.name)
    ):
        return _too_many(gate, gate.write_limit, ("writes", principal.name), "changes")
    g.principal = principal
    return None


def _body_too_large(gate: Gate) -> ResponseReturnValue | None:
    # Uploads are bounded by MAX_CONTENT_LENGTH (request_max_bytes); any other body by json_max_bytes.
    length = request.content_length
    if length is not None and request.mimetype != "multipart/form-data" and length > gate.json_max_bytes:
        return _refusal(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"the request body is larger than {gate.json_max_bytes} bytes",
        )
    return None


def _within(gate: Gate, limit: RateLimitItem, *keys: str) -> bool:
    try:
        return bool(gate.limiter.limiter.test(limit, *keys))
    except Exception as exc:  # the limit store being down must not take the API down
        log.warning("rate_limit_store_unavailable", error=str(exc))
        return True


def _hit(gate: Gate, limit: RateLimitItem, *keys: str) -> bool:
    try:
        return bool(gate.limiter.limiter.hit(limit, *keys))
    except Exception as exc:  # the limit store being down must not take the API down
        log.warning("rate_limit_store_unavailable", error=str(exc))
        return True


def _too_many(gate: Gate, limit: RateLimitItem, keys: tuple[str, str], what: str) -> ResponseReturnValue:
    try:
        reset = gate.limiter.limiter.get_window_stats(limit, *keys).reset_time
        wait = max(1, math.ceil(reset - time.time()))
    except Exception:  # the store went away: only the hint is lost
        wait = limit.get_expiry()
    body, status, headers = _refusal(
        HTTPStatus.TOO_MANY_REQUESTS, f"too many {what} (limit {limit}); retry in {wait} s"
    )
    return body, status, {**headers, "Retry-After": str(wait)}


def _refusal(status: HTTPStatus, message: str) -> tuple[Response, int, dict[str, str]]:
    headers: dict[str, str] = {}
    if status == HTTPStatus.UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Bearer realm="mailbanner"'
    return jsonify(error_body(int(status), message)), int(status), headers
