"""Test data made for real: images encoded by Pillow, banners written through the ORM or the API, users
and tokens written through the accounts service (as `mailbanner user` does)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from banner_api.auth import accounts
from banner_api.auth.roles import ROLES
from banner_api.publish import NullPublisher
from banner_common.events import ScheduleChanged
from banner_common.models import Banner, Base, ContentVersion
from banner_common.settings import Settings

TEST_USER = "tester"


@contextmanager
def recorded_statements(engine: sa.Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def empty_postgres_banner_database(url: str) -> None:
    """Empty every table of a migrated PostgreSQL banner database, ids restarting; the content version
    row stays (its triggers move it: a truncate is a write like any other)."""
    engine = sa.create_engine(url)
    tables = ", ".join(
        f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != ContentVersion.__tablename__
    )
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


def stored_files(settings: Settings) -> list[str]:
    """The image files the local storage holds, sorted."""
    directory = Path(settings.storage_dir)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def image_bytes(fmt: str = "PNG", width: int = 600, height: int = 120, color: str = "steelblue") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def banner_values(**overrides: Any) -> dict[str, Any]:
    """The columns of a plain registered banner, for writing one straight to the database."""
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
    return values


def insert_banner(app: Flask, **overrides: Any) -> int:
    """Write a banner straight through the ORM (for tests about something other than registration)."""
    values = banner_values(**overrides)
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


def create_user(
    app: Flask,
    name: str,
    roles: Sequence[str],
    *,
    campaign_types: Sequence[str] = (),
    views: Sequence[str] = (),
) -> None:
    with app.app_context():
        accounts.create_user(
            app.extensions["mailbanner"],
            name,
            accounts.UserFields(roles=list(roles), campaign_types=list(campaign_types), views=list(views)),
        )


def issue_token(app: Flask, name: str, expires_in_days: int | None = None) -> str:
    """A fresh bearer token for an existing user."""
    with app.app_context():
        return accounts.issue_token(app.extensions["mailbanner"], name, expires_in_days).secret


def client_with_token(app: Flask, token: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def user_client(
    app: Flask,
    name: str,
    roles: Sequence[str],
    *,
    campaign_types: Sequence[str] = (),
    views: Sequence[str] = (),
) -> FlaskClient:
    """A new user with these roles and scopes, and a client holding a token of theirs."""
    create_user(app, name, roles, campaign_types=campaign_types, views=views)
    return client_with_token(app, issue_token(app, name))


def authorized_client(app: Flask) -> FlaskClient:
    """A client acting as the test user who holds every role (made once per app)."""
    token = app.extensions.get("test_token")
    if token is None:
        create_user(app, TEST_USER, ROLES)
        token = app.extensions["test_token"] = issue_token(app, TEST_USER)
    return client_with_token(app, token)


class RecordingPublisher(NullPublisher):
    """An in-memory stand-in for the broker: keeps what the API published and accepts every sync request."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[ScheduleChanged] = []
        self.sync_requests: list[tuple[str, bool]] = []

    def publish(self, event: ScheduleChanged) -> bool:
        self.events.append(event)
        return True

    def request_sync(self, target: str, *, force: bool) -> bool:
        self.sync_requests.append((target, force))
        return True
