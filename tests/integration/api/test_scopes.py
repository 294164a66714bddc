"""Scopes: out-of-scope banners answer 404 and are absent from every list; view scopes fence off resources."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from banner_common.models import ScheduleEntry
from tests.factories import insert_banner, register_banner, user_client

DAY = dt.date(2030, 12, 3)
SALE_LINK = "https://shop.example.com/sale"
EVENT_LINK = "https://shop.example.com/event"


@pytest.fixture
def scoped(app: Flask, client: FlaskClient) -> dict[str, int]:
    """A sale and an event banner, both on DAY for mass (sale on top); ids of banners and entries."""
    sale = insert_banner(app, title="Sale banner", campaign_type="sale", link_url=SALE_LINK)
    event = insert_banner(app, title="Event banner", campaign_type="event", link_url=EVENT_LINK)
    ids = {"sale": sale, "event": event}
    for name, banner in (("sale_entry", sale), ("event_entry", event)):
        placed = client.post(
            "/api/v1/schedule", json={"banner_id": banner, "start_date": DAY.isoformat(), "targets": ["mass"]}
        )
        ids[name] = placed.json["entries"][0]["id"]
    return ids


@pytest.fixture
def eve(app: Flask) -> FlaskClient:
    """A planner narrowed to event banners."""
    return user_client(app, "eve", ["planner"], campaign_types=["event"])


def test_out_of_scope_banner_answers_404_like_a_missing_one(eve: FlaskClient, scoped: dict[str, int]) -> None:
    hidden = eve.get(f"/api/v1/banners/{scoped['sale']}")
    missing = eve.get("/api/v1/banners/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["message"] == f"banner {scoped['sale']} does not exist"
    assert eve.get(f"/api/v1/banners/{scoped['event']}").status_code == 200


def test_out_of_scope_banner_cannot_be_touched(
    app: Flask, client: FlaskClient, eve: FlaskClient, scoped: dict[str, int]
) -> None:
    sale = scoped["sale"]
    etag = client.get(f"/api/v1/banners/{sale}").headers["ETag"]
    assert (
        eve.patch(f"/api/v1/banners/{sale}", json={"title": "x"}, headers={"If-Match": etag}).status_code
        == 404
    )
    assert eve.delete(f"/api/v1/banners/{sale}?force=true").status_code == 404
    assert eve.post(f"/api/v1/banners/{sale}/restore").status_code == 404
    assert eve.delete(f"/api/v1/schedule/entries/{scoped['sale_entry']}").status_code == 404
    placed = eve.post("/api/v1/schedule", json={"banner_id": sale, "start_date": "2030-12-04"})
    assert placed.status_code == 422
    assert placed.json["errors"]["json"]["banner_id"] == [f"no banner {sale}"]
    assert eve.delete(f"/api/v1/schedule?banner_id={sale}&start_date={DAY}").status_code == 422
    assert client.get(f"/api/v1/banners/{sale}").json["title"] == "Sale banner"
    with app.extensions["mailbanner"].session_factory() as session:
        assert session.scalars(select(ScheduleEntry.id).where(ScheduleEntry.banner_id == sale)).all() == [
            scoped["sale_entry"]
        ]


def test_a_banner_of_another_campaign_type_cannot_be_made(eve: FlaskClient, scoped: dict[str, int]) -> None:
    refused = register_banner(eve, campaign_type="sale")
    assert refused.status_code == 403
    assert "campaign_type" in refused.json["errors"]["form"]
    assert register_banner(eve, campaign_type="event").status_code == 201
    etag = eve.get(f"/api/v1/banners/{scoped['event']}").headers["ETag"]
    moved = eve.patch(
        f"/api/v1/banners/{scoped['event']}", json={"campaign_type": "sale"}, headers={"If-Match": etag}
    )
    assert moved.status_code == 403


def test_out_of_scope_banners_are_absent_from_lists_and_search(
    eve: FlaskClient, scoped: dict[str, int]
) -> None:
    for query in (
        "",
        "?q=banner",
        "?campaign_type=sale",
        f"?scheduled_from={DAY}&target=mass",
        "?archived=all",
    ):
        listed = eve.get(f"/api/v1/banners{query}").json
        assert scoped["sale"] not in [b["id"] for b in listed["items"]], query
        assert listed["total"] == len(listed["items"]), query
    assert [b["id"] for b in eve.get("/api/v1/banners?q=banner").json["items"]] == [scoped["event"]]


def test_out_of_scope_entries_are_absent_from_day_calendar_and_preview(
    client: FlaskClient, eve: FlaskClient, scoped: dict[str, int]
) -> None:
    day = eve.get(f"/api/v1/schedule/days/{DAY}?target=mass").json
    assert [e["banner_id"] for e in day["entries"]] == [scoped["event"]]
    month = eve.get("/api/v1/calendar?month=2030-12").json
    shown = [e["banner_id"] for d in month["days"] for e in d["entries"]]
    assert shown == [scoped["event"]]
    preview = eve.get(f"/api/v1/preview?date={DAY}&target=mass").json
    assert [(r["link_url"], r["priority"]) for r in preview["rows"]] == [(EVENT_LINK, 1)]
    html = eve.get(f"/api/v1/preview?date={DAY}&target=mass&format=html").get_data(as_text=True)
    assert EVENT_LINK in html
    assert SALE_LINK not in html
    # The unscoped view of the same day still holds both.
    everyone = client.get(f"/api/v1/preview?date={DAY}&target=mass").json
    assert [r["link_url"] for r in everyone["rows"]] == [SALE_LINK, EVENT_LINK]


def test_a_scoped_reorder_moves_only_the_visible_entries_within_their_places(
    app: Flask, client: FlaskClient, eve: FlaskClient, scoped: dict[str, int]
) -> None:
    third = insert_banner(app, campaign_type="event", link_url="https://shop.example.com/third")
    client.post(
        "/api/v1/schedule", json={"banner_id": third, "start_date": DAY.isoformat(), "targets": ["mass"]}
    )
    path = f"/api/v1/schedule/days/{DAY}?target=mass"
    seen = eve.get(path)
    visible = [e["id"] for e in seen.json["entries"]]
    assert len(visible) == 2
    incomplete = eve.put(path, json={"entry_ids": [visible[0]]}, headers={"If-Match": seen.headers["ETag"]})
    assert incomplete.status_code == 422
    etag = eve.get(path).headers["ETag"]
    assert eve.put(path, json={"entry_ids": visible[::-1]}, headers={"If-Match": etag}).status_code == 200
    whole = client.get(path).json["entries"]
    assert [(e["id"], e["position"]) for e in whole] == [
        (scoped["sale_entry"], 1),
        (visible[1], 2),
        (visible[0], 3),
    ]


def test_audit_shows_a_scoped_reader_only_its_campaign_types(
    eve: FlaskClient, client: FlaskClient, scoped: dict[str, int]
) -> None:
    everything = client.get("/api/v1/audit?object_type=schedule_day").json["items"]
    mine = eve.get("/api/v1/audit?object_type=schedule_day").json["items"]
    assert len(everything) == 2
    # The first placement touched only the sale banner: a scoped reader does not see it at all.
    assert [row["id"] for row in mine] == [everything[1]["id"]]
    assert [e["banner_id"] for e in mine[0]["after"]["entries"]] == [scoped["event"]]
    assert eve.get("/api/v1/audit?object_type=user").json["items"] == []


def test_a_view_scope_limits_a_contractor_to_sync_status(app: Flask, scoped: dict[str, int]) -> None:
    contractor = user_client(app, "contractor", ["viewer"], views=["sync"])
    assert contractor.get("/api/v1/sync/status").status_code == 200
    assert contractor.get("/api/v1/sync/runs").status_code == 200
    for path in (
        "/api/v1/banners",
        f"/api/v1/banners/{scoped['event']}",
        "/api/v1/calendar?month=2030-12",
        f"/api/v1/preview?date={DAY}&target=mass",
        f"/api/v1/schedule/days/{DAY}?target=mass",
        "/api/v1/approvals",
        "/api/v1/audit",
    ):
        response = contractor.get(path)
        assert response.status_code == 403, path
        assert "view" in response.json["message"], path
    assert contractor.get("/api/v1/me").json["views"] == ["sync"]
