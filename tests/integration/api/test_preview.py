"""The footer preview through the HTTP API: JSON delivery rows and the HTML block, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from banner_api import create_app
from banner_api.publish import NullPublisher
from banner_common.settings import Settings
from tests.factories import authorized_client, insert_banner

DAY = dt.date(2030, 3, 4)


class FooterLinks(HTMLParser):
    """(href, img src, img alt) of every linked image, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "a":
            self._href = found.get("href")
        elif tag == "img" and self._href is not None:
            self.links.append((self._href, found.get("src") or "", found.get("alt") or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def parse_footer(html: str) -> FooterLinks:
    parser = FooterLinks()
    parser.feed(html)
    return parser


def place(client: FlaskClient, banner_id: int, day: dt.date, **extra: Any) -> None:
    response = client.post(
        "/api/v1/schedule", json={"banner_id": banner_id, "start_date": day.isoformat(), **extra}
    )
    assert response.status_code == 201, response.get_json()


def schedule_three(app: Flask, client: FlaskClient, day: dt.date = DAY, target: str = "mass") -> None:
    """Three distinct banners on the day, placed out of order so positions differ from insertion order."""
    for name, position in (("alpha", None), ("bravo", None), ("charlie", 1)):
        banner = insert_banner(
            app,
            title=f"Banner {name}",
            image_url=f"http://banners.test/images/{name}.png",
            link_url=f"https://shop.example.com/{name}?utm=mail&x=1",
        )
        place(client, banner, day, targets=[target], **({"position": position} if position else {}))


def test_preview_rows_are_the_days_banners_in_calendar_order(app: Flask, client: FlaskClient) -> None:
    schedule_three(app, client)

    preview = client.get(f"/api/v1/preview?date={DAY}&target=mass")
    calendar = client.get("/api/v1/calendar?month=2030-03&target=mass").get_json()

    assert preview.status_code == 200
    body = preview.get_json()
    assert (body["date"], body["target"]) == (DAY.isoformat(), "mass")
    day = next(d for d in calendar["days"] if d["date"] == DAY.isoformat())
    assert [(r["image_url"], r["link_url"]) for r in body["rows"]] == [
        (e["banner"]["image_url"], e["banner"]["link_url"]) for e in day["entries"]
    ]
    assert [r["image_url"].rsplit("/", 1)[1] for r in body["rows"]] == [
        "charlie.png",
        "alpha.png",
        "bravo.png",
    ]
    assert [r["priority"] for r in body["rows"]] == [1, 2, 3]


def test_preview_rows_run_from_local_midnight_to_the_next(app: Flask, client: FlaskClient) -> None:
    place(client, insert_banner(app), DAY, targets=["mass"])

    rows = client.get(f"/api/v1/preview?date={DAY}&target=mass").get_json()["rows"]

    assert [(r["start_at"], r["end_at"]) for r in rows] == [
        ("2030-03-04T00:00:00+09:00", "2030-03-05T00:00:00+09:00")
    ]


@pytest.mark.parametrize(
    ("day", "start_at", "end_at"),
    [
        pytest.param(
            dt.date(2030, 3, 10),
            "2030-03-10T00:00:00-05:00",
            "2030-03-11T00:00:00-04:00",
            id="spring-forward",
        ),
        pytest.param(
            dt.date(2030, 11, 3), "2030-11-03T00:00:00-04:00", "2030-11-04T00:00:00-05:00", id="fall-back"
        ),
    ],
)
def test_preview_on_a_daylight_saving_change_uses_each_midnights_own_offset(
    settings: Settings, day: dt.date, start_at: str, end_at: str
) -> None:
    app = create_app(replace(settings, timezone="America/New_York"), publisher=NullPublisher())
    try:
        client = authorized_client(app)
        place(client, insert_banner(app), day, targets=["personalized"])

        rows = client.get(f"/api/v1/preview?date={day}&target=personalized").get_json()["rows"]

        assert [(r["start_at"], r["end_at"]) for r in rows] == [(start_at, end_at)]
        start, end = dt.datetime.fromisoformat(start_at), dt.datetime.fromisoformat(end_at)
        assert end - start != dt.timedelta(hours=24)  # the day really is 23 or 25 hours long
    finally:
        app.extensions["mailbanner"].engine.dispose()


def test_html_footer_links_the_same_images_in_the_same_order(app: Flask, client: FlaskClient) -> None:
    schedule_three(app, client)
    rows = client.get(f"/api/v1/preview?date={DAY}&target=mass").get_json()["rows"]

    response = client.get(f"/api/v1/preview?date={DAY}&target=mass", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    footer = parse_footer(response.get_data(as_text=True))
    assert [(href, src) for href, src, _ in footer.links] == [(r["link_url"], r["image_url"]) for r in rows]
    assert [alt for *_, alt in footer.links] == ["Banner charlie", "Banner alpha", "Banner bravo"]
    assert "table" in footer.tags
    assert "style" not in footer.tags  # inline styles only: mail clients drop style blocks


def test_format_html_gives_the_same_footer_as_accept_html(app: Flask, client: FlaskClient) -> None:
    schedule_three(app, client)

    by_param = client.get(f"/api/v1/preview?date={DAY}&target=mass&format=html")
    by_header = client.get(f"/api/v1/preview?date={DAY}&target=mass", headers={"Accept": "text/html"})

    assert by_param.mimetype == "text/html"
    assert by_param.get_data() == by_header.get_data()


def test_html_footer_escapes_banner_text(app: Flask, client: FlaskClient) -> None:
    title = '"><script>alert(1)</script>'
    place(client, insert_banner(app, title=title), DAY, targets=["mass"])

    html = client.get(f"/api/v1/preview?date={DAY}&target=mass&format=html").get_data(as_text=True)

    footer = parse_footer(html)
    assert "script" not in footer.tags
    assert [alt for *_, alt in footer.links] == [title]


def test_empty_day_previews_no_rows_and_no_links(client: FlaskClient) -> None:
    assert client.get(f"/api/v1/preview?date={DAY}&target=mass").get_json()["rows"] == []
    html = client.get(f"/api/v1/preview?date={DAY}&target=mass&format=html").get_data(as_text=True)
    assert parse_footer(html).links == []


def test_preview_shows_only_the_target_asked_for(app: Flask, client: FlaskClient) -> None:
    schedule_three(app, client, target="personalized")

    assert client.get(f"/api/v1/preview?date={DAY}&target=mass").get_json()["rows"] == []
    assert len(client.get(f"/api/v1/preview?date={DAY}&target=personalized").get_json()["rows"]) == 3


@pytest.fixture
def larger_is_top_app(settings: Settings, tmp_path: Path) -> Iterator[Flask]:
    """The API with a targets file where `mass` ranks its top banner with the largest priority."""
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text(
        "[targets.mass]\n"
        'url = "sqlite:///unused.db"\n'
        'table = "footer_banners"\n'
        'priority_order = "larger_is_top"\n'
        "[targets.personalized]\n"
        'url = "sqlite:///unused.db"\n'
        'table = "footer_banners"\n',
        encoding="utf-8",
    )
    app = create_app(replace(settings, targets_file=str(targets_file)), publisher=NullPublisher())
    yield app
    app.extensions["mailbanner"].engine.dispose()


def test_preview_follows_the_targets_priority_order(larger_is_top_app: Flask) -> None:
    client = authorized_client(larger_is_top_app)
    schedule_three(larger_is_top_app, client)

    body = client.get(f"/api/v1/preview?date={DAY}&target=mass").get_json()
    html = client.get(f"/api/v1/preview?date={DAY}&target=mass&format=html").get_data(as_text=True)

    assert body["priority_order"] == "larger_is_top"
    assert [(r["image_url"].rsplit("/", 1)[1], r["priority"]) for r in body["rows"]] == [
        ("charlie.png", 3),
        ("alpha.png", 2),
        ("bravo.png", 1),
    ]
    assert [src.rsplit("/", 1)[1] for _, src, _ in parse_footer(html).links] == [
        "charlie.png",
        "alpha.png",
        "bravo.png",
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("target=mass", "date"),
        ("date=2030-02-30&target=mass", "date"),
        ("date=2030-03-04", "target"),
        ("date=2030-03-04&target=fax", "target"),
        ("date=2030-03-04&target=mass&format=pdf", "format"),
    ],
)
def test_bad_preview_query_is_refused_naming_the_field(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/preview?{query}")

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]
