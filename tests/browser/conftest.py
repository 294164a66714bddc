"""Browser fixtures: the real API over HTTP on 127.0.0.1 with a migrated SQLite banner database, and
Debian's headless Chromium driven by Playwright (no browser download: its executable path is given)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from banner_api import create_app, migrate
from banner_api.publish import NullPublisher
from banner_common.settings import Settings
from tests.factories import authorized_client, client_with_token, create_user, issue_token

CHROMIUM = os.environ.get("MAILBANNER_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT = ViewportSize(width=1366, height=768)
STEP_TIMEOUT_MS = 10_000
SCREENSHOT_DIR = Path(os.environ.get("MAILBANNER_TEST_SCREENSHOTS", "/tmp/mailbanner-console-screenshots"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the web console in headless Chromium")


@dataclass
class ConsoleServer:
    """The API serving the console at base_url, and ways to reach the same data without the browser."""

    app: Flask
    base_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, role: str) -> str:
        """A token of a user holding just this role (made once per session)."""
        if role not in self.tokens:
            name = f"browser-{role}"
            create_user(self.app, name, [role])
            self.tokens[role] = issue_token(self.app, name)
        return self.tokens[role]

    def api(self) -> FlaskClient:
        """A client of the test user holding every role: sets up data and checks what the console did."""
        return authorized_client(self.app)

    def api_as(self, role: str) -> FlaskClient:
        return client_with_token(self.app, self.token(role))


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    root = tmp_path_factory.mktemp("console")
    database_url = f"sqlite:///{root / 'banner.db'}"
    migrate.upgrade(database_url)
    served: dict[str, Flask] = {}

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return served["app"](environ, start_response)

    # Bound first so the images' public URL can name the real port.
    server: BaseWSGIServer = make_server("127.0.0.1", 0, dispatch, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = replace(
        Settings(),
        database_url=database_url,
        storage_dir=str(root / "images"),
        public_base_url=base_url,
        events_enabled=False,
        timezone="Asia/Tokyo",
        rate_limit_storage_url="memory://",
        rate_limit_writes="100000/minute",
        rate_limit_failed_auth="100000/minute",
    )
    app = create_app(settings, publisher=NullPublisher())
    served["app"] = app
    thread = threading.Thread(target=server.serve_forever, name="console-api", daemon=True)
    thread.start()
    yield ConsoleServer(app=app, base_url=base_url)
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["mailbanner"].engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium (scripts/setup.sh does)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run them: a skipped browser suite would hide a broken console
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, console_server: ConsoleServer) -> Iterator[Page]:
    """A fresh tab (its own session storage) at laptop size; an uncaught script error fails the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="America/New_York")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda error: script_errors.append(str(error)))
    yield tab
    # A value the page forgot to format shows up as these words: never a label a planner should read.
    leaked = tab.evaluate(
        """() => [...document.querySelectorAll("main *")].flatMap((el) => [...el.childNodes])
            .filter((node) => node.nodeType === Node.TEXT_NODE)
            .map((node) => node.textContent.trim())
            .filter((text) => ["null", "undefined", "NaN", "[object Object]"].includes(text))"""
    )
    context.close()
    assert script_errors == [], script_errors
    assert leaked == [], leaked


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
