"""Replaced images stay served for newsletters already sent, until pruned after the retention period."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from banner_api import create_app
from banner_api.banners.retired_images import prune_retired_images
from banner_common.cli import main
from banner_common.models import RetiredImage, utcnow
from banner_common.settings import Settings
from tests.factories import image_bytes, register_banner, stored_files, user_client

LATER = dt.timedelta(days=181)  # past the default retention of 180 days


def replace_image(client: FlaskClient, banner: dict[str, object], version: int = 1) -> dict[str, object]:
    response = client.patch(
        f"/api/v1/banners/{banner['id']}",
        data={"image": (io.BytesIO(image_bytes("PNG", 600, 120, "tomato")), "new.png")},
        content_type="multipart/form-data",
        headers={"If-Match": f'"{version}"'},
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, object] = response.get_json()
    return body


def path_of(body: dict[str, object]) -> str:
    return urlsplit(str(body["image_url"])).path


def key_of(body: dict[str, object]) -> str:
    return path_of(body).rsplit("/", 1)[1]


def retired_keys(app: Flask) -> list[str]:
    with app.extensions["mailbanner"].session_factory() as session:
        return list(session.scalars(sa.select(RetiredImage.key)))


def test_a_replaced_image_stays_served_for_newsletters_already_sent(app: Flask, client: FlaskClient) -> None:
    old = register_banner(client).get_json()

    new = replace_image(client, old)

    assert client.get(path_of(new)).status_code == 200
    assert client.get(path_of(old)).status_code == 200
    assert retired_keys(app) == [key_of(old)]


def test_prune_deletes_a_retired_image_only_after_the_retention_period(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    old = register_banner(client).get_json()
    new = replace_image(client, old)
    svc = app.extensions["mailbanner"]

    early = prune_retired_images(svc, now=utcnow() + dt.timedelta(days=179))
    assert (early.deleted, len(early.kept_until)) == ([], 1)
    assert client.get(path_of(old)).status_code == 200

    late = prune_retired_images(svc, now=utcnow() + LATER)

    assert late.deleted == [key_of(old)]
    assert client.get(path_of(old)).status_code == 404
    assert client.get(path_of(new)).status_code == 200
    assert stored_files(settings) == [key_of(new)]
    assert retired_keys(app) == []


@pytest.fixture
def approval_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(settings, approval_required=True))
    yield app
    app.extensions["mailbanner"].engine.dispose()


def test_prune_keeps_an_image_an_approved_entry_still_delivers_until_the_new_one_is_approved(
    approval_app: Flask,
) -> None:
    planner = user_client(approval_app, "pia", ["planner"])
    approver = user_client(approval_app, "ann", ["approver"])
    old = register_banner(planner).get_json()
    placed = planner.post(
        "/api/v1/schedule",
        json={
            "banner_id": old["id"],
            "start_date": str(dt.date.today() + dt.timedelta(days=3)),
            "targets": ["mass"],
        },
    )
    assert placed.status_code == 201, placed.get_json()
    entry_ids = [entry["id"] for entry in placed.get_json()["entries"]]
    assert approver.post("/api/v1/approvals", json={"entry_ids": entry_ids}).status_code == 200
    replace_image(planner, old)  # the entry now waits for approval and still delivers the old image
    svc = approval_app.extensions["mailbanner"]

    waiting = prune_retired_images(svc, now=utcnow() + LATER)
    assert (waiting.deleted, waiting.still_used) == ([], [key_of(old)])
    assert planner.get(path_of(old)).status_code == 200

    assert approver.post("/api/v1/approvals", json={"entry_ids": entry_ids}).status_code == 200
    approved = prune_retired_images(svc, now=utcnow() + LATER)

    assert approved.deleted == [key_of(old)]
    assert planner.get(path_of(old)).status_code == 404


def test_images_prune_command_lists_then_deletes(app: Flask, client: FlaskClient, settings: Settings) -> None:
    old = register_banner(client).get_json()
    replace_image(client, old)
    env = {
        "MAILBANNER_DATABASE_URL": settings.database_url,
        "MAILBANNER_STORAGE_DIR": settings.storage_dir,
        "MAILBANNER_PUBLIC_BASE_URL": settings.public_base_url,
        "MAILBANNER_IMAGE_RETENTION_DAYS": "0",
    }
    key = key_of(old)

    dry = CliRunner().invoke(main, ["images", "prune", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert f"would delete {key}" in dry.output
    assert key in stored_files(settings)

    real = CliRunner().invoke(main, ["images", "prune"], env=env)

    assert real.exit_code == 0, real.output
    assert f"deleted {key}" in real.output
    assert "1 deleted, 0 still shown, 0 inside the retention period" in real.output
    assert key not in stored_files(settings)
