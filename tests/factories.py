"""Test data made for real: images encoded by Pillow, banners written through the ORM or the API."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from banner_common.models import Banner


def image_bytes(fmt: str = "PNG", width: int = 600, height: int = 120, color: str = "steelblue") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def insert_banner(app: Flask, **overrides: Any) -> int:
    """Write a banner straight through the ORM (for tests about something other than registration)."""
    values: dict[str, Any] = {
        "title": "Winter sale",
        "image_url": "http://banners.test/images/winter.png",
        "image_key": None,
        "image_width": 600,
        "image_height": 120,
        "image_content_type": "image/png",
        "image_bytes": 1234,
        "link_url": "https://shop.example.com/winter",
        "campaign_type": "sale",
        "notes": "",
        "archived": False,
    }
    values.update(overrides)
    session_factory = app.extensions["mailbanner"].session_factory
    with session_factory() as session:
        banner = Banner(**values)
        session.add(banner)
        session.commit()
        return banner.id


def register_banner(client: FlaskClient, **fields: Any) -> TestResponse:
    """POST a banner as multipart/form-data, the way a planner's browser does."""
    data: dict[str, Any] = {
        "title": "Winter sale",
        "link_url": "https://shop.example.com/winter",
        "campaign_type": "sale",
        "notes": "",
    }
    image = fields.pop("image", None)
    filename = fields.pop("filename", "banner.png")
    data.update(fields)
    if image is None:
        image = image_bytes()
    if image is not False:
        data["image"] = (io.BytesIO(image), filename)
    return client.post("/api/v1/banners", data=data, content_type="multipart/form-data")
