"""Serves the console page, its assets, and the few settings the page needs before it can call the API."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, jsonify, send_from_directory
from flask.typing import ResponseReturnValue

from banner_api.context import services

STATIC_DIR = Path(__file__).parent / "static"

# The page runs only its own scripts and talks only to its own origin; banner images may live on
# another host (the image base URL), and the footer preview keeps its inline mail styles.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: http: https:",
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

blp = Blueprint("console", __name__, static_folder=STATIC_DIR, static_url_path="/console")


@blp.after_request
def _protect(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blp.get("/")
def index() -> ResponseReturnValue:
    """The console page; it carries no data, every view reads the API with the signed-in token."""
    response = send_from_directory(STATIC_DIR, "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.get("/console/config.json")
def config() -> ResponseReturnValue:
    """What the page needs to lay itself out: business time zone, target and campaign type names, limits."""
    svc = services()
    settings = svc.settings
    return jsonify(
        {
            "timezone": settings.timezone,
            "targets": list(svc.target_names),
            "campaign_types": list(settings.campaign_types),
            "max_banners_per_day": settings.max_banners_per_day,
            "image": {
                "max_bytes": settings.image_max_bytes,
                "max_width": settings.image_max_width,
                "max_height": settings.image_max_height,
                "formats": list(settings.image_formats),
            },
            "approval_required": settings.approval_required,
        }
    )
