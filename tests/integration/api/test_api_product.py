"""The API as a product: a valid OpenAPI document, health checks, request ids and JSON errors."""

from __future__ import annotations

import re
from dataclasses import replace

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from banner_api import create_app
from banner_api.auth.roles import ROLES
from banner_api.publish import NullPublisher
from banner_common.settings import Settings
from tests.factories import client_with_token


def test_openapi_document_validates_and_lists_every_resource(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    paths = set(spec["paths"])
    for expected in (
        "/api/v1/banners",
        "/api/v1/schedule",
        "/api/v1/schedule/days/{date}",
        "/api/v1/calendar",
        "/api/v1/preview",
        "/api/v1/sync/status",
        "/api/v1/sync/runs",
    ):
        assert expected in paths


def test_healthz_answers_without_touching_dependencies(settings: Settings) -> None:
    app = create_app(
        replace(settings, database_url="sqlite:////nonexistent-dir/x.db"), publisher=NullPublisher()
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_reports_an_unreachable_database(settings: Settings) -> None:
    broken = replace(
        settings,
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        events_enabled=False,
    )
    response = create_app(broken, publisher=NullPublisher()).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("unavailable")


def test_request_id_is_echoed_or_generated(client: FlaskClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz")
    assert len(generated.headers["X-Request-ID"]) == 32


def test_unknown_path_is_json_404_with_request_id(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here", headers={"X-Request-ID": "req-1"})
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert response.json["request_id"] == "req-1"


def test_banner_database_down_is_503_with_a_clear_message(settings: Settings) -> None:
    broken = replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    # A well-formed token: checking it is the first thing that needs the database.
    token = "mbt_0123456789ab_" + "A" * 43
    response = (
        create_app(broken, publisher=NullPublisher())
        .test_client()
        .get("/api/v1/sync/status", headers={"Authorization": f"Bearer {token}"})
    )
    assert response.status_code == 503
    assert "banner database is unavailable" in response.json["message"]


def test_demo_load_prints_a_working_token_for_each_role(app: Flask, settings: Settings) -> None:
    from banner_common.cli import main

    env = {
        "MAILBANNER_DATABASE_URL": settings.database_url,
        "MAILBANNER_STORAGE_DIR": settings.storage_dir,
        "MAILBANNER_EVENTS_ENABLED": "false",
        "MAILBANNER_RATE_LIMIT_STORAGE_URL": "memory://",
    }
    result = CliRunner().invoke(main, ["demo", "load"], env=env, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    printed = dict(re.findall(r"^\s+(\w+)\s+demo-\w+\s+(mbt_\S+)$", result.output, re.M))
    assert sorted(printed) == sorted(ROLES)
    for role, token in printed.items():
        me = client_with_token(app, token).get("/api/v1/me")
        assert (me.status_code, me.json["roles"]) == (200, [role])
    banners = client_with_token(app, printed["viewer"]).get("/api/v1/banners").json
    assert banners["total"] == 8
