"""The audit trail: every write leaves who, when, what before and after, and its request id; never changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from banner_common.models import AuditEvent
from tests.factories import TEST_USER, insert_banner, register_banner, user_client

DAY = dt.date(2030, 12, 3)
DAY_ID = f"{DAY.isoformat()}/mass"


def _footer(state: dict[str, Any] | None) -> list[tuple[int, str]]:
    """What a day snapshot says the footer held: (banner id, link) from the top."""
    return [(e["banner_id"], e["link_url"]) for e in (state or {}).get("entries", [])]


def _current_footer(client: FlaskClient) -> list[tuple[int, str]]:
    day = client.get(f"/api/v1/schedule/days/{DAY}?target=mass").json
    return [(e["banner_id"], e["banner"]["link_url"]) for e in day["entries"]]


def _place(client: FlaskClient, banner: int, request_id: str, **extra: Any) -> int:
    response = client.post(
        "/api/v1/schedule",
        json={"banner_id": banner, "start_date": DAY.isoformat(), "targets": ["mass"], **extra},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 201, response.json
    entry_id: int = response.json["entries"][0]["id"]
    return entry_id


def test_a_day_of_edits_can_be_replayed_and_its_previous_state_rebuilt_from_the_audit_alone(
    app: Flask, client: FlaskClient
) -> None:
    pia = user_client(app, "pia", ["planner"])
    a = insert_banner(app, title="A", link_url="https://shop.example.com/a")
    b = insert_banner(app, title="B", link_url="https://shop.example.com/b")
    c = insert_banner(app, title="C", link_url="https://shop.example.com/c")
    seen: list[list[tuple[int, str]]] = [[]]  # the footer after each edit, as the API showed it

    _place(client, a, "req-1")
    seen.append(_current_footer(client))
    _place(pia, b, "req-2", position=1)
    seen.append(_current_footer(client))
    entry_c = _place(pia, c, "req-3")
    seen.append(_current_footer(client))
    path = f"/api/v1/schedule/days/{DAY}?target=mass"
    ids = [e["id"] for e in client.get(path).json["entries"]]
    etag = client.get(path).headers["ETag"]
    assert (
        client.put(
            path, json={"entry_ids": ids[::-1]}, headers={"If-Match": etag, "X-Request-ID": "req-4"}
        ).status_code
        == 200
    )
    seen.append(_current_footer(client))
    banner_etag = client.get(f"/api/v1/banners/{a}").headers["ETag"]
    edited = pia.patch(
        f"/api/v1/banners/{a}",
        json={"link_url": "https://shop.example.com/a2"},
        headers={"If-Match": banner_etag, "X-Request-ID": "req-5"},
    )
    assert edited.status_code == 200
    seen.append(_current_footer(client))
    assert (
        client.delete(f"/api/v1/schedule/entries/{entry_c}", headers={"X-Request-ID": "req-6"}).status_code
        == 204
    )
    seen.append(_current_footer(client))

    trail = client.get(f"/api/v1/audit?date={DAY}").json["items"]
    day_rows = [row for row in trail if row["object_id"] == DAY_ID]

    assert [(row["actor"], row["action"], row["request_id"]) for row in day_rows] == [
        (TEST_USER, "schedule.place", "req-1"),
        ("pia", "schedule.place", "req-2"),
        ("pia", "schedule.place", "req-3"),
        (TEST_USER, "schedule.reorder", "req-4"),
        ("pia", "banner.update", "req-5"),
        (TEST_USER, "schedule.remove_entry", "req-6"),
    ]
    # Replayed, the trail shows each state the footer went through, each change starting where the last
    # one ended: who changed the footer of that day, and what it was before, from the audit rows alone.
    assert [_footer(row["before"]) for row in day_rows] == seen[:-1]
    assert [_footer(row["after"]) for row in day_rows] == seen[1:]
    assert _footer(day_rows[-1]["before"]) == [
        (c, "https://shop.example.com/c"),
        (a, "https://shop.example.com/a2"),
        (b, "https://shop.example.com/b"),
    ]
    assert all(row["first_day"] == row["last_day"] == DAY.isoformat() for row in day_rows)


def test_banner_writes_record_before_and_after(client: FlaskClient) -> None:
    created = register_banner(client, title="First title")
    banner = created.json["id"]
    etag = created.headers["ETag"]
    client.patch(f"/api/v1/banners/{banner}", json={"title": "Second title"}, headers={"If-Match": etag})
    client.delete(f"/api/v1/banners/{banner}")
    client.post(f"/api/v1/banners/{banner}/restore")

    rows = client.get(f"/api/v1/audit?object_type=banner&object_id={banner}").json["items"]

    assert [row["action"] for row in rows] == [
        "banner.create",
        "banner.update",
        "banner.archive",
        "banner.restore",
    ]
    assert rows[0]["before"] is None
    assert rows[0]["after"]["title"] == "First title"
    assert (rows[1]["before"]["title"], rows[1]["after"]["title"]) == ("First title", "Second title")
    assert (rows[2]["before"]["archived"], rows[2]["after"]["archived"]) == (False, True)
    assert (rows[3]["before"]["archived"], rows[3]["after"]["archived"]) == (True, False)
    assert all(row["actor"] == TEST_USER for row in rows)


def test_sync_control_users_and_tokens_are_audited(app: Flask, client: FlaskClient) -> None:
    client.post("/api/v1/sync/targets/mass/pause", json={"reason": "maintenance"})
    client.post("/api/v1/sync/targets/mass/resume")
    client.post("/api/v1/sync/targets/mass/sync", json={"force": True})  # no broker here: 503, still audited
    client.post("/api/v1/users", json={"name": "newbie", "roles": ["viewer"]})
    client.patch("/api/v1/users/newbie", json={"roles": ["planner"]})
    token_id = client.post("/api/v1/users/newbie/tokens", json={}).json["id"]
    client.delete(f"/api/v1/tokens/{token_id}")

    target_rows = client.get("/api/v1/audit?object_type=target&object_id=mass").json["items"]
    assert [(r["action"], r["after"]) for r in target_rows] == [
        ("target.pause", {"paused": True, "paused_reason": "maintenance"}),
        ("target.resume", {"paused": False, "paused_reason": ""}),
        ("target.sync_now", {"force": True, "queued": False}),
    ]
    user_rows = client.get("/api/v1/audit?object_type=user&object_id=newbie").json["items"]
    assert [(r["action"], r["after"]["roles"]) for r in user_rows] == [
        ("user.create", ["viewer"]),
        ("user.update", ["planner"]),
    ]
    token_rows = client.get(f"/api/v1/audit?object_type=token&object_id={token_id}").json["items"]
    assert [r["action"] for r in token_rows] == ["token.issue", "token.revoke"]
    assert token_rows[1]["before"]["revoked_at"] is None
    assert token_rows[1]["after"]["revoked_at"] is not None


def test_a_refused_write_leaves_no_audit_row(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)
    _place(client, banner, "req-ok")
    before = _count(app)
    duplicate = client.post(
        "/api/v1/schedule", json={"banner_id": banner, "start_date": DAY.isoformat(), "targets": ["mass"]}
    )
    assert duplicate.status_code == 409
    assert _count(app) == before


def test_filters_by_actor_action_and_time(app: Flask, client: FlaskClient) -> None:
    pia = user_client(app, "pia", ["planner"])
    _place(client, insert_banner(app), "r1")
    _place(pia, insert_banner(app), "r2")
    by_pia = client.get("/api/v1/audit?actor=pia").json
    assert {row["action"] for row in by_pia["items"]} == {"schedule.place"}
    assert by_pia["total"] == 1
    assert client.get("/api/v1/audit?action=schedule.place").json["total"] == 2
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/audit", query_string={"from": future}).json["total"] == 0
    assert client.get("/api/v1/audit", query_string={"to": future}).json["total"] == _count(app)
    naive = client.get("/api/v1/audit?from=2030-12-01T00:00:00")
    assert naive.status_code == 422
    assert "from" in naive.json["errors"]["query"]
    assert client.get("/api/v1/audit?date=2030-12-04").json["total"] == 0
    assert client.get("/api/v1/audit?object_type=planet").status_code == 422


def test_the_api_offers_no_way_to_change_or_delete_audit_rows(client: FlaskClient) -> None:
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert client.open("/api/v1/audit", method=method).status_code == 405
    assert client.open("/api/v1/audit/1", method="DELETE").status_code == 404


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"]
)
def test_the_database_refuses_to_change_or_delete_audit_rows(
    app: Flask, client: FlaskClient, statement: str
) -> None:
    _place(client, insert_banner(app), "r1")
    engine = app.extensions["mailbanner"].engine
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    with app.extensions["mailbanner"].session_factory() as session:
        actors = set(session.scalars(select(AuditEvent.actor)))
    assert "someone else" not in actors
    assert _count(app) > 0


def _count(app: Flask) -> int:
    with app.extensions["mailbanner"].session_factory() as session:
        return int(session.scalar(select(func.count(AuditEvent.id))) or 0)
