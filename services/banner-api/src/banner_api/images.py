"""Serves stored banner images at their public URL (mail readers load these, so no auth)."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask.typing import ResponseReturnValue

from banner_api.context import services
from banner_api.storage import CONTENT_TYPE_BY_EXTENSION

blp = Blueprint("images", __name__)


@blp.get("/images/<key>")
def image(key: str) -> ResponseReturnValue:
    data = services().storage.open(key)
    extension = key.rsplit(".", 1)[-1].lower()
    if data is None or extension not in CONTENT_TYPE_BY_EXTENSION:
        abort(404)
    response = Response(data, mimetype=CONTENT_TYPE_BY_EXTENSION[extension])
    # A key is never reused for other content, so the image can be cached for good.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
