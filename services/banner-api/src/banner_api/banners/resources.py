"""Banner endpoints: parse the request, call one service function, return the banner(s)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask_smorest
from flask import Response, request, url_for
from werkzeug.datastructures import FileStorage

from banner_api.banners import service
from banner_api.banners.schemas import (
    ArchiveQuerySchema,
    BannerCreateFormSchema,
    BannerPageSchema,
    BannerSchema,
    BannerSearchSchema,
    BannerUpdateSchema,
    BannerUpdateUploadDocSchema,
    BannerUploadDocSchema,
    ImageUploadSchema,
    OptionalImageUploadSchema,
)
from banner_api.context import services
from banner_api.read_cache import cached_read
from banner_common.models import Banner


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """flask-smorest documents a single request-body location per view (its issues #46 and #557), yet a
    multipart view reads two (form and files). The extra locations are dropped from the generated doc,
    and each such view describes its whole body with @blp.doc(requestBody=...)."""

    def _prepare_arguments_doc(self, doc: Any, doc_info: Any, **kwargs: Any) -> Any:
        operation = doc_info.get("arguments")
        if operation:
            bodies = [
                param
                for param in operation["parameters"]
                if isinstance(param, Mapping) and param["in"] in self.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING
            ]
            for extra in bodies[1:]:
                operation["parameters"].remove(extra)
        return super()._prepare_arguments_doc(doc, doc_info, **kwargs)


blp = Blueprint("banners", __name__, description="Register, search, edit and archive banners")

MULTIPART = "multipart/form-data"
ETAG_HEADER = {
    "ETag": {"description": "The banner's version, to send back as If-Match", "schema": {"type": "string"}}
}


@blp.route("/banners", methods=["POST"])
@blp.arguments(BannerCreateFormSchema, location="form", content_type=MULTIPART)
@blp.arguments(ImageUploadSchema, location="files")
@blp.response(201, BannerSchema, headers=ETAG_HEADER)
@blp.doc(requestBody={"required": True, "content": {MULTIPART: {"schema": BannerUploadDocSchema}}})
def create_banner(form: dict[str, Any], files: dict[str, Any]) -> Any:
    """Register a banner: its image file and where it links to."""
    banner = service.register_banner(
        services(), service.BannerFields(**form), _read_upload(files["image"]), location="form"
    )
    headers = _etag(banner) | {"Location": url_for("banners.get_banner", banner_id=banner.id)}
    return banner, 201, headers


@blp.route("/banners", methods=["GET"])
@blp.arguments(BannerSearchSchema, location="query")
@blp.response(200, BannerPageSchema)
def list_banners(query: dict[str, Any]) -> Response:
    """Search banners: free text, campaign type, archived state, scheduled dates; sorted and paged."""

    def build() -> tuple[dict[str, Any], dict[str, str]]:
        page = service.search_banners(services(), service.BannerSearch(**query))
        return _PAGE.dump(page), {}

    return cached_read(build)


_PAGE = BannerPageSchema()


@blp.route("/banners/<int:banner_id>", methods=["GET"])
@blp.response(200, BannerSchema, headers=ETAG_HEADER)
def get_banner(banner_id: int) -> Any:
    """One banner, with its version as ETag."""
    banner = service.get_banner(services(), banner_id)
    return banner, 200, _etag(banner)


@blp.route("/banners/<int:banner_id>", methods=["PATCH"])
@blp.arguments(BannerUpdateSchema, location="json", required=False)
@blp.arguments(BannerUpdateSchema, location="form", required=False, content_type=MULTIPART)
@blp.arguments(OptionalImageUploadSchema, location="files", required=False)
@blp.response(200, BannerSchema, headers=ETAG_HEADER)
@blp.doc(
    parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}],
    requestBody={
        "content": {
            "application/json": {"schema": BannerUpdateSchema},
            MULTIPART: {"schema": BannerUpdateUploadDocSchema},
        }
    },
)
def update_banner(
    json_fields: dict[str, Any], form_fields: dict[str, Any], files: dict[str, Any], banner_id: int
) -> Any:
    """Edit a banner (JSON, or multipart to also replace the image). Needs If-Match with its ETag."""
    location = "json" if request.is_json else "form"
    upload = files.get("image")
    banner = service.update_banner(
        services(),
        banner_id,
        request.headers.get("If-Match"),
        service.BannerFields(**(json_fields if location == "json" else form_fields)),
        _read_upload(upload) if upload is not None else None,
        location=location,
    )
    return banner, 200, _etag(banner)


@blp.route("/banners/<int:banner_id>", methods=["DELETE"])
@blp.arguments(ArchiveQuerySchema, location="query")
@blp.response(200, BannerSchema, headers=ETAG_HEADER)
def archive_banner(query: dict[str, Any], banner_id: int) -> Any:
    """Archive a banner (a soft delete). Refused with 409 while it is scheduled today or later,
    unless force=true, which also removes those schedule entries."""
    banner = service.archive_banner(
        services(), banner_id, force=query["force"], if_match=request.headers.get("If-Match")
    )
    return banner, 200, _etag(banner)


@blp.route("/banners/<int:banner_id>/restore", methods=["POST"])
@blp.response(200, BannerSchema, headers=ETAG_HEADER)
def restore_banner(banner_id: int) -> Any:
    """Bring an archived banner back."""
    banner = service.restore_banner(services(), banner_id)
    return banner, 200, _etag(banner)


def _read_upload(upload: FileStorage) -> service.UploadedImage:
    # One byte past the limit is enough to know the file is too large, without reading it all.
    limit = services().settings.image_max_bytes
    return service.UploadedImage(filename=upload.filename or "", data=upload.stream.read(limit + 1))


def _etag(banner: Banner) -> dict[str, str]:
    return {"ETag": service.etag(banner)}
