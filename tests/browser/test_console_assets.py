"""The console's static side without a browser: served publicly under a strict content security policy,
its settings document, and message catalogues that match each other and the labels the scripts ask for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import banner_api.console.resources as console

STATIC = Path(console.__file__).parent / "static"
CATALOGUES = {path.stem: json.loads(path.read_text("utf-8")) for path in (STATIC / "i18n").glob("*.json")}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Literal keys in t("..."); keys built at run time (target.<name>, nav labels in tables) are checked by
# the browser tests that show them.
KEY_IN_SCRIPT = re.compile(r"\bt\(\"([a-z_]+\.[a-z_]+)\"")


@pytest.fixture
def app_client(app: Flask) -> FlaskClient:
    return app.test_client()  # no token: the page must load before anyone signs in


def test_the_page_and_its_assets_are_served_without_a_token_under_a_strict_policy(
    app_client: FlaskClient,
) -> None:
    page = app_client.get("/")
    assert page.status_code == 200
    assert b'<script type="module" src="console/app.js">' in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    for asset, kind in [("app.js", "javascript"), ("styles.css", "css"), ("i18n/ja.json", "json")]:
        response = app_client.get(f"/console/{asset}")
        assert response.status_code == 200, asset
        assert kind in response.mimetype
    assert app_client.get("/console/../__init__.py").status_code == 404


def test_the_settings_document_names_time_zone_targets_and_limits(app_client: FlaskClient) -> None:
    body = app_client.get("/console/config.json").json
    assert body["timezone"] == "Asia/Tokyo"
    assert body["targets"] == ["personalized", "mass"]
    assert "sale" in body["campaign_types"]
    assert body["image"]["max_bytes"] > 0
    assert body["approval_required"] is False
    assert body["max_banners_per_day"] == 10


def test_every_catalogue_has_the_same_keys_and_placeholders() -> None:
    english = CATALOGUES["en"]
    assert set(CATALOGUES) == {"en", "ja"}
    for language, messages in CATALOGUES.items():
        assert set(messages) == set(english), language
        for key, text in messages.items():
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), (language, key)
            assert text.strip(), (language, key)


def test_every_label_the_scripts_ask_for_is_in_the_catalogue() -> None:
    scripts = [*STATIC.glob("*.js"), *STATIC.glob("views/*.js")]
    asked = {key for script in scripts for key in KEY_IN_SCRIPT.findall(script.read_text("utf-8"))}
    assert len(asked) > 100
    assert asked - set(CATALOGUES["en"]) == set()
