"""Health checks: /healthz (the process is up) and /readyz (the banner database and Redis answer)."""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from banner_api.context import services

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@blp.get("/readyz")
def readyz() -> ResponseReturnValue:
    svc = services()
    checks: dict[str, Any] = {}
    try:
        with svc.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    if svc.settings.events_enabled:
        try:
            client = redis.Redis.from_url(
                svc.settings.redis_url,
                socket_connect_timeout=svc.settings.publish_timeout_seconds,
                socket_timeout=svc.settings.publish_timeout_seconds,
            )
            client.ping()
            client.close()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "events": {"published": svc.publish_stats.published, "failed": svc.publish_stats.failed},
    }
    return jsonify(body), 200 if ready else 503
