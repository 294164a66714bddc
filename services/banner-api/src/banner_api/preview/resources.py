"""Preview endpoint: the footer of one day and target, as JSON rows or as the HTML block."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response, request
from flask_smorest import Blueprint

from banner_api.preview import service
from banner_api.preview.schemas import PreviewQuerySchema, PreviewSchema

blp = Blueprint("preview", __name__, description="The footer exactly as it will be delivered")


def _wants_html(query: dict[str, Any]) -> bool:
    if "format" in query:
        return bool(query["format"] == "html")
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


@blp.route("/preview", methods=["GET"])
@blp.arguments(PreviewQuerySchema, location="query")
@blp.response(HTTPStatus.OK, PreviewSchema)
@blp.doc(
    responses={
        "200": {
            "description": "The delivery rows; with Accept: text/html or format=html, the footer block",
            "content": {
                "application/json": {"schema": PreviewSchema},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    }
)
def preview(query: dict[str, Any]) -> Any:
    """The delivery rows of one day and target, or the footer HTML they make"""
    found = service.preview(query["date"], query["target"], include_pending=query["include_pending"])
    if _wants_html(query):
        return Response(service.render_footer(found), mimetype="text/html")
    return found
