"""Shared fixtures: real banner databases (SQLite file and PostgreSQL schema), settings and the API app."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from banner_api import create_app, migrate
from banner_api.publish import NullPublisher
from banner_common.settings import Settings
from tests.factories import authorized_client, empty_postgres_banner_database

POSTGRES_URL = os.environ.get(
    "MAILBANNER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get("MAILBANNER_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
REDIS_URL = os.environ.get("MAILBANNER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BANNER_BACKENDS = [b for b in os.environ.get("MAILBANNER_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _with_search_path(url: str, schema: str) -> str:
    return f"{url}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is much faster)."""
    path = tmp_path_factory.mktemp("template") / "banner.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of its own for this test session."""
    schema = f"mb_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(POSTGRES_URL, schema)
    migrate.upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BANNER_BACKENDS)
def banner_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly emptied, migrated banner database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "banner.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_schema_url")
    empty_postgres_banner_database(url)
    return url


@pytest.fixture
def settings(banner_db_url: str, tmp_path: Path) -> Settings:
    return replace(
        Settings(),
        database_url=banner_db_url,
        redis_url=REDIS_URL,
        storage_dir=str(tmp_path / "images"),
        public_base_url="http://banners.test",
        events_enabled=False,
        timezone="Asia/Tokyo",
        # Counters in memory, per app; limits far above what a test does (their own tests set small ones).
        rate_limit_storage_url="memory://",
        rate_limit_writes="100000/minute",
        rate_limit_failed_auth="100000/minute",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings, publisher=NullPublisher())
    app.config["TESTING"] = True
    yield app
    app.extensions["mailbanner"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client holding the token of a test user with every role (see tests.factories.authorized_client)."""
    return authorized_client(app)
