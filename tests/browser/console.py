"""Steps the browser tests share: signing in, opening a console page, and data made through the API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.browser.conftest import ConsoleServer
from tests.factories import image_bytes, register_banner

COLORS = ("tomato", "seagreen", "royalblue", "goldenrod", "orchid", "slategray")


def sign_in(page: Page, server: ConsoleServer, role: str, route: str = "") -> None:
    """Sign in through the form with a token of this role, then open `route` (e.g. "day/2031-01-05/mass")."""
    page.goto(f"{server.base_url}/")
    page.fill("#token", server.token(role))
    page.click("#sign-in")
    page.wait_for_selector("#who")
    if route:
        open_route(page, server, route)


def open_route(page: Page, server: ConsoleServer, route: str) -> None:
    page.goto(f"{server.base_url}/#/{route}")
    page.wait_for_selector("main > section.view:not([aria-busy])")


def new_banner(server: ConsoleServer, title: str, color: str, **fields: Any) -> int:
    image = image_bytes("PNG", 600, 120, color)
    response = register_banner(server.api(), title=title, image=image, filename=f"{color}.png", **fields)
    assert response.status_code == 201, response.json
    banner_id: int = response.json["id"]
    return banner_id


def place(server: ConsoleServer, banner_id: int, first: dt.date, last: dt.date, targets: list[str]) -> None:
    response = server.api().post(
        "/api/v1/schedule",
        json={
            "banner_id": banner_id,
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "targets": targets,
        },
    )
    assert response.status_code == 201, response.json


def day_order(server: ConsoleServer, day: dt.date, target: str) -> list[int]:
    """The banner ids of a day, top first, as the API holds them."""
    response = server.api().get(f"/api/v1/schedule/days/{day.isoformat()}?target={target}")
    assert response.status_code == 200, response.json
    return [entry["banner_id"] for entry in response.json["entries"]]


def day_with_banners(server: ConsoleServer, day: dt.date, target: str, titles: list[str]) -> list[int]:
    """Banners placed on one day in this order (top first); their ids."""
    ids = [new_banner(server, title, COLORS[index % len(COLORS)]) for index, title in enumerate(titles)]
    for banner_id in ids:
        place(server, banner_id, day, day, [target])
    assert day_order(server, day, target) == ids
    return ids


def shot(page: Page, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.wait_for_function("() => [...document.images].every((img) => img.complete)")
    page.screenshot(path=str(path), full_page=False)
    return path
