"""Every operation of the API's own OpenAPI document fed generated input with a real token, on a real
PostgreSQL banner database holding banners and a schedule: never a 5xx, every response as documented."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from banner_api import create_app
from banner_common.settings import Settings
from tests.brokers import private_redis
from tests.factories import authorized_client, empty_postgres_banner_database, image_bytes, register_banner

LONG = os.environ.get("MAILBANNER_LONG") == "1"
EXAMPLES = 300 if LONG else 25
HUGE_ID = 2**40


@pytest.fixture
def fuzz_app(postgres_schema_url: str, tmp_path: Path) -> Iterator[Flask]:
    empty_postgres_banner_database(postgres_schema_url)
    # A broker of its own: "sync now" and change events really publish (the shared test Redis' queue is
    # read by other tests).
    with private_redis() as (redis_url, _process):
        fuzz_settings = replace(
            Settings(),
            database_url=postgres_schema_url,
            redis_url=redis_url,
            storage_dir=str(tmp_path / "images"),
            public_base_url="http://banners.test",
            rate_limit_storage_url="memory://",
            rate_limit_writes="",
            rate_limit_failed_auth="",
        )
        app = create_app(fuzz_settings)
        _seed(app)
        yield app
        app.extensions["mailbanner"].engine.dispose()


def _seed(app: Flask) -> None:
    """Banners and a schedule, so generated ids and dates sometimes hit real rows."""
    client = authorized_client(app)
    today = dt.date.today()
    for number in range(1, 4):
        made = register_banner(client, title=f"Seed {number}", image=image_bytes(color="red"))
        assert made.status_code == 201, made.json
        assert made.json is not None
        placed = client.post(
            "/api/v1/schedule",
            json={
                "banner_id": made.json["id"],
                "start_date": str(today),
                "end_date": str(today + dt.timedelta(3)),
            },
        )
        assert placed.status_code == 201, placed.json


def _fuzz_operation(operation: Any, token: str) -> str | None:
    """Run one operation's generated cases; the first failure as text, or None."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    try:
        fuzz()
    except (Exception, BaseExceptionGroup) as exc:  # a check failed (schemathesis groups them)
        return f"{operation.label}: {type(exc).__name__}: {str(exc)[:2000]}"
    return None


def _openapi_document(app: Flask) -> dict[str, Any]:
    reply = app.test_client().get("/api/v1/openapi.json")
    assert reply.status_code == 200
    document: dict[str, Any] = reply.get_json()
    return document


def test_no_input_gets_a_server_error_and_every_response_matches_its_schema(fuzz_app: Flask) -> None:
    token = fuzz_app.extensions["test_token"]
    schema = schemathesis.openapi.from_dict(_openapi_document(fuzz_app))
    schema.app = fuzz_app
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    failures = [failure for operation in operations if (failure := _fuzz_operation(operation, token))]

    assert len(operations) > 20
    assert failures == [], "\n\n".join(failures)


def test_error_bodies_match_the_published_error_schema(fuzz_app: Flask) -> None:
    client = authorized_client(fuzz_app)
    error_schema = _openapi_document(fuzz_app)["components"]["schemas"]["Error"]
    body: dict[str, Any] = client.get("/api/v1/banners/999999").get_json()

    assert body["request_id"]
    assert set(body) <= set(error_schema["properties"])


def test_ids_beyond_the_integer_columns_are_refused_as_client_errors(fuzz_app: Flask) -> None:
    client = authorized_client(fuzz_app)
    today = dt.date.today()
    answers = {
        "remove range": client.delete(f"/api/v1/schedule?banner_id={HUGE_ID}&start_date={today}"),
        "remove entry": client.delete(f"/api/v1/schedule/entries/{HUGE_ID}"),
        "approve entry": client.post(f"/api/v1/schedule/entries/{HUGE_ID}/approve"),
        "read banner": client.get(f"/api/v1/banners/{HUGE_ID}"),
        "place": client.post("/api/v1/schedule", json={"banner_id": HUGE_ID, "start_date": str(today)}),
    }

    assert {name: reply.status_code for name, reply in answers.items() if reply.status_code >= 500} == {}


def test_nul_characters_in_text_are_refused_as_client_errors(fuzz_app: Flask) -> None:
    client = authorized_client(fuzz_app)
    answers = {
        "search": client.get("/api/v1/banners?q=%00"),
        "register": register_banner(client, title="Winter\x00sale"),
        "edit": client.patch(
            "/api/v1/banners/1", json={"title": "Winter\x00sale"}, headers={"If-Match": "*"}
        ),
    }

    assert {name: reply.status_code for name, reply in answers.items() if reply.status_code >= 500} == {}
