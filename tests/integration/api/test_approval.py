"""Four-eyes approval: pending changes never reach delivery rows until another approver approves them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from banner_api import create_app
from banner_common.delivery import DayWindow, delivery_rows
from banner_common.models import ScheduleChange
from banner_common.settings import Settings
from tests.factories import RecordingPublisher, insert_banner, user_client

DAY = dt.date(2030, 12, 3)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def approval_app(settings: Settings, publisher: RecordingPublisher) -> Iterator[Flask]:
    app = create_app(replace(settings, approval_required=True), publisher=publisher)
    yield app
    app.extensions["mailbanner"].engine.dispose()


@pytest.fixture
def people(approval_app: Flask) -> dict[str, FlaskClient]:
    return {
        "pia": user_client(approval_app, "pia", ["planner"]),
        "ann": user_client(approval_app, "ann", ["approver"]),
        "abe": user_client(approval_app, "abe", ["approver"]),
    }


def _links(app: Flask, target: str = "mass", *, approved_only: bool = True) -> list[str]:
    """The link column of the target's delivery rows for DAY, top first, as the sync worker derives them."""
    svc = app.extensions["mailbanner"]
    with svc.session_factory() as session:
        rows = delivery_rows(
            session, target, DayWindow.single(DAY), svc.settings.tz, approved_only=approved_only
        )
    return [row.link_url for row in sorted(rows, key=lambda row: row.priority)]


def _place(client: FlaskClient, banner: int, **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/schedule",
        json={"banner_id": banner, "start_date": DAY.isoformat(), "targets": ["mass"], **extra},
    )
    assert response.status_code == 201, response.json
    entry: dict[str, Any] = response.json["entries"][0]
    return entry


def _day(client: FlaskClient) -> Any:
    return client.get(f"/api/v1/schedule/days/{DAY}?target=mass").json


def _approved_delivery(app: Flask, people: dict[str, FlaskClient], *banners: int) -> list[int]:
    """Place the banners as pia and have ann approve them all: the starting point of several tests."""
    ids = [_place(people["pia"], banner)["id"] for banner in banners]
    assert people["ann"].post("/api/v1/approvals", json={"entry_ids": ids}).status_code == 200
    return ids


def test_a_new_entry_is_pending_and_never_becomes_a_delivery_row(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    banner = insert_banner(approval_app, link_url="https://shop.example.com/a")

    entry = _place(people["pia"], banner)

    assert entry["approval"] == "pending"
    assert entry["changed_by"] == ["pia"]
    assert _links(approval_app) == []
    assert _links(approval_app, approved_only=False) == ["https://shop.example.com/a"]
    day = _day(people["ann"])
    assert (day["pending"], day["entries"][0]["approval"]) == (1, "pending")
    month = people["ann"].get("/api/v1/calendar?month=2030-12&target=mass").json
    shown = next(d for d in month["days"] if d["date"] == DAY.isoformat())
    assert [e["approval"] for e in shown["entries"]] == ["pending"]


def test_preview_shows_the_footer_as_delivered_or_with_pending_changes(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    a = insert_banner(approval_app, link_url="https://shop.example.com/a")
    b = insert_banner(approval_app, link_url="https://shop.example.com/b")
    _approved_delivery(approval_app, people, a)
    pending = _place(people["pia"], b, position=1)

    delivered = people["ann"].get(f"/api/v1/preview?date={DAY}&target=mass").json
    assert [r["link_url"] for r in delivered["rows"]] == ["https://shop.example.com/a"]
    assert delivered["includes_pending"] is False
    assert [(p["entry_id"], p["authors"]) for p in delivered["pending"]] == [(pending["id"], ["pia"])]

    with_pending = people["ann"].get(f"/api/v1/preview?date={DAY}&target=mass&include_pending=true").json
    assert [r["link_url"] for r in with_pending["rows"]] == [
        "https://shop.example.com/b",
        "https://shop.example.com/a",
    ]
    assert with_pending["includes_pending"] is True
    html = people["ann"].get(f"/api/v1/preview?date={DAY}&target=mass&format=html").get_data(as_text=True)
    assert "https://shop.example.com/a" in html
    assert "https://shop.example.com/b" not in html


def test_self_approval_is_refused_and_changes_nothing(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    banner = insert_banner(approval_app)
    entry = _place(people["ann"], banner)  # an approver can plan too, but not approve her own change

    refused = people["ann"].post(f"/api/v1/schedule/entries/{entry['id']}/approve")
    assert refused.status_code == 403
    assert "entry_ids" in refused.json["errors"]["json"]
    assert people["ann"].post("/api/v1/approvals", json={"entry_ids": [entry["id"]]}).status_code == 403
    assert people["ann"].post(f"/api/v1/schedule/days/{DAY}/approve?target=mass").status_code == 403
    assert _day(people["abe"])["entries"][0]["approval"] == "pending"
    assert _links(approval_app) == []


def test_a_planner_cannot_approve_at_all(approval_app: Flask, people: dict[str, FlaskClient]) -> None:
    entry = _place(people["ann"], insert_banner(approval_app))
    assert people["pia"].post(f"/api/v1/schedule/entries/{entry['id']}/approve").status_code == 403
    assert _links(approval_app) == []


def test_approval_by_another_approver_delivers_it_and_records_a_change_for_the_next_swap(
    approval_app: Flask, people: dict[str, FlaskClient], publisher: RecordingPublisher
) -> None:
    banner = insert_banner(approval_app, link_url="https://shop.example.com/a")
    entry = _place(people["pia"], banner)
    published_before = len(publisher.events)

    approved = people["ann"].post(f"/api/v1/schedule/entries/{entry['id']}/approve")

    assert approved.status_code == 200
    assert (approved.json["approval"], approved.json["approved_by"]) == ("approved", "ann")
    assert _links(approval_app) == ["https://shop.example.com/a"]
    # The worker swaps on change events and on unapplied change rows: approval produces both.
    event = publisher.events[published_before]
    assert (event.targets, event.first_day, event.last_day) == (("mass",), DAY, DAY)
    with approval_app.extensions["mailbanner"].session_factory() as session:
        change = session.scalars(select(ScheduleChange).order_by(ScheduleChange.id.desc())).first()
    assert change is not None
    assert (change.reason, change.id) == ("approved", event.change_id)


def test_a_reorder_waits_for_approval_while_the_approved_order_is_delivered(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    a = insert_banner(approval_app, link_url="https://shop.example.com/a")
    b = insert_banner(approval_app, link_url="https://shop.example.com/b")
    first, second = _approved_delivery(approval_app, people, a, b)
    etag = people["pia"].get(f"/api/v1/schedule/days/{DAY}?target=mass").headers["ETag"]

    reordered = people["pia"].put(
        f"/api/v1/schedule/days/{DAY}?target=mass",
        json={"entry_ids": [second, first]},
        headers={"If-Match": etag},
    )

    assert reordered.status_code == 200
    assert [e["approval"] for e in reordered.json["entries"]] == ["pending", "pending"]
    assert _links(approval_app) == ["https://shop.example.com/a", "https://shop.example.com/b"]
    assert people["abe"].post(f"/api/v1/schedule/days/{DAY}/approve?target=mass").json["count"] == 2
    assert _links(approval_app) == ["https://shop.example.com/b", "https://shop.example.com/a"]


def test_a_link_change_is_delivered_only_once_approved(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    banner = insert_banner(approval_app, link_url="https://shop.example.com/old")
    (entry,) = _approved_delivery(approval_app, people, banner)
    etag = people["pia"].get(f"/api/v1/banners/{banner}").headers["ETag"]

    edited = people["pia"].patch(
        f"/api/v1/banners/{banner}",
        json={"link_url": "https://shop.example.com/new"},
        headers={"If-Match": etag},
    )

    assert edited.status_code == 200
    assert _links(approval_app) == ["https://shop.example.com/old"]
    assert _day(people["ann"])["entries"][0]["approval"] == "pending"
    assert people["ann"].post(f"/api/v1/schedule/entries/{entry}/approve").status_code == 200
    assert _links(approval_app) == ["https://shop.example.com/new"]


def test_undoing_a_pending_reorder_needs_no_approval(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    a, b = insert_banner(approval_app), insert_banner(approval_app)
    first, second = _approved_delivery(approval_app, people, a, b)
    path = f"/api/v1/schedule/days/{DAY}?target=mass"
    for order in ([second, first], [first, second]):
        etag = people["pia"].get(path).headers["ETag"]
        assert (
            people["pia"].put(path, json={"entry_ids": order}, headers={"If-Match": etag}).status_code == 200
        )
    assert [e["approval"] for e in _day(people["ann"])["entries"]] == ["approved", "approved"]


def test_removing_an_entry_takes_effect_at_once_and_leaves_the_others_approved(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    a = insert_banner(approval_app, link_url="https://shop.example.com/a")
    b = insert_banner(approval_app, link_url="https://shop.example.com/b")
    first, _second = _approved_delivery(approval_app, people, a, b)

    assert people["pia"].delete(f"/api/v1/schedule/entries/{first}").status_code == 204

    assert _links(approval_app) == ["https://shop.example.com/b"]
    assert [e["approval"] for e in _day(people["ann"])["entries"]] == ["approved"]


def test_approving_an_entry_changed_by_two_people_needs_a_third(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    a, b = insert_banner(approval_app), insert_banner(approval_app)
    first, second = _approved_delivery(approval_app, people, a, b)
    path = f"/api/v1/schedule/days/{DAY}?target=mass"
    etag = people["pia"].get(path).headers["ETag"]
    assert (
        people["pia"].put(path, json={"entry_ids": [second, first]}, headers={"If-Match": etag}).status_code
        == 200
    )
    banner_etag = people["abe"].get(f"/api/v1/banners/{b}").headers["ETag"]
    people["abe"].patch(
        f"/api/v1/banners/{b}",
        json={"link_url": "https://shop.example.com/b2"},
        headers={"If-Match": banner_etag},
    )

    entry = next(e for e in _day(people["ann"])["entries"] if e["id"] == second)
    assert entry["changed_by"] == ["pia", "abe"]
    assert people["abe"].post(f"/api/v1/schedule/entries/{second}/approve").status_code == 403
    assert people["ann"].post(f"/api/v1/schedule/entries/{second}/approve").status_code == 200


def test_pending_list_and_approving_unknown_entries(
    approval_app: Flask, people: dict[str, FlaskClient]
) -> None:
    entry = _place(people["pia"], insert_banner(approval_app))
    listed = people["ann"].get("/api/v1/approvals?target=mass").json
    assert [(e["id"], e["approval"]) for e in listed["items"]] == [(entry["id"], "pending")]
    assert listed["total"] == 1
    missing = people["ann"].post("/api/v1/approvals", json={"entry_ids": [entry["id"], 999999]})
    assert missing.status_code == 404
    assert _links(approval_app) == []
    assert people["ann"].post("/api/v1/approvals", json={"entry_ids": []}).status_code == 422
    assert people["ann"].get("/api/v1/approvals?target=nowhere").status_code == 422


def test_without_approval_every_change_is_delivered_at_once(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app, link_url="https://shop.example.com/a")
    entry = _place(client, banner)
    assert entry["approval"] == "approved"
    svc = app.extensions["mailbanner"]
    with svc.session_factory() as session:
        both = [
            delivery_rows(session, "mass", DayWindow.single(DAY), svc.settings.tz, approved_only=flag)
            for flag in (False, True)
        ]
    # Turning approval on later starts from exactly what is delivered now.
    assert both[0] == both[1]
    assert [row.link_url for row in both[0]] == ["https://shop.example.com/a"]
