"""Fixtures: settings with a targets file of SQLite stand-ins, the API on them, and its client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from banner_api import create_app
from banner_api.publish import NullPublisher
from banner_common.settings import Settings
from sync_worker.bootstrap import bootstrap
from sync_worker.standins import create_standin_table
from tests.factories import authorized_client
from tests.integration.observability.ops import TARGETS_TOML


@pytest.fixture
def ops_settings(settings: Settings, tmp_path: Path) -> Settings:
    targets_dir = tmp_path / "targets"
    targets_dir.mkdir()
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text(TARGETS_TOML.format(dir=targets_dir), encoding="utf-8")
    chosen = replace(settings, targets_file=str(targets_file))
    runtime = bootstrap(chosen)
    try:
        for name, spec in runtime.targets.items():
            create_standin_table(spec, runtime.target_engines[name])
    finally:
        runtime.dispose()
    return chosen


@pytest.fixture
def ops_app(ops_settings: Settings) -> Iterator[Flask]:
    app = create_app(ops_settings, publisher=NullPublisher())
    app.config["TESTING"] = True
    yield app
    app.extensions["mailbanner"].engine.dispose()


@pytest.fixture
def ops_client(ops_app: Flask) -> FlaskClient:
    return authorized_client(ops_app)
