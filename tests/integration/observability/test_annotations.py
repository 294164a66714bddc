"""Annotations: people add them, the system derives swaps, held episodes, pauses and imports, and
GET answers a JSON array with epoch-millisecond times that a Grafana annotation query maps directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from banner_common.models import AuditEvent, SyncRun
from tests.factories import user_client

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _window(client: FlaskClient, **params: Any) -> list[dict[str, Any]]:
    query = {"from": _ms(T0 - dt.timedelta(hours=1)), "to": _ms(T0 + dt.timedelta(hours=5)), **params}
    response = client.get("/api/v1/annotations", query_string=query)
    assert response.status_code == 200, response.json
    assert isinstance(response.json, list)
    return response.json


def _run(target: str, outcome: str, minutes: int, **fields: Any) -> SyncRun:
    started = T0 + dt.timedelta(minutes=minutes)
    values: dict[str, Any] = {"rows_deleted": 0, "rows_inserted": 0, **fields}
    return SyncRun(
        target=target,
        trigger="beat",
        started_at=started,
        finished_at=started + dt.timedelta(seconds=2),
        outcome=outcome,
        window_first=dt.date(2026, 11, 19),
        window_last=dt.date(2026, 12, 20),
        **values,
    )


def _add(app: Flask, *rows: object) -> None:
    with app.extensions["mailbanner"].session_factory() as session:
        session.add_all(rows)
        session.commit()


def test_a_posted_annotation_comes_back_in_grafanas_shape(client: FlaskClient) -> None:
    posted = client.post(
        "/api/v1/annotations",
        json={
            "text": "Release 1.4.0\nnew footer layout",
            "tags": ["release", "api"],
            "time": "2026-11-20T10:30:00+09:00",
            "timeEnd": "2026-11-20T10:45:00+09:00",
            "target": "mass",
        },
    )
    assert posted.status_code == 201, posted.json
    [found] = _window(client)
    assert found == posted.json
    assert found["time"] == _ms(T0 + dt.timedelta(minutes=30))
    assert found["timeEnd"] == _ms(T0 + dt.timedelta(minutes=45))
    assert found["isRegion"] is True
    assert found["title"] == "Release 1.4.0"
    assert found["text"] == "Release 1.4.0\nnew footer layout"
    assert found["tags"] == ["release", "api", "mass"]
    assert (found["source"], found["kind"], found["author"]) == ("user", "note", "tester")
    # The fields a Grafana annotation query maps: numbers for times, a list of strings for tags.
    assert all(isinstance(found[key], int) for key in ("time", "timeEnd"))
    assert all(isinstance(tag, str) for tag in found["tags"])


def test_swaps_held_episodes_pauses_and_imports_are_derived_from_what_was_recorded(
    app: Flask, client: FlaskClient
) -> None:
    diff = {"desired": 4, "actual": 2, "added": 3, "removed": 1}
    _add(
        app,
        _run("mass", "swapped", 0, rows_deleted=2, rows_inserted=4, diff_summary=diff),
        _run("mass", "in_sync", 1),
        _run("mass", "swapped", 2),  # rewrote nothing: not notable
        _run("personalized", "held", 10, diff_summary={"reason": "would shrink the window"}),
        _run("personalized", "held", 11, diff_summary={"reason": "would shrink the window"}),
        _run("personalized", "held", 12, diff_summary={"reason": "would shrink the window"}),
        _run("personalized", "swapped", 20, rows_deleted=5, rows_inserted=1),
        AuditEvent(
            at=T0 + dt.timedelta(minutes=30),
            actor="ops-anna",
            action="target.pause",
            object_type="target",
            object_id="mass",
            after={"paused": True, "paused_reason": "cut-over: backup before the import"},
        ),
        AuditEvent(
            at=T0 + dt.timedelta(minutes=40),
            actor="cli:ops",
            action="legacy.import",
            object_type="target",
            object_id="mass",
            after={"banners_created": 12, "days_imported": 30},
        ),
        AuditEvent(
            at=T0 + dt.timedelta(minutes=50),
            actor="ops-anna",
            action="target.resume",
            object_type="target",
            object_id="mass",
        ),
        AuditEvent(
            at=T0 + dt.timedelta(minutes=55),
            actor="tester",
            action="banner.create",
            object_type="banner",
            object_id="1",
        ),
    )
    found = _window(client)
    assert [(item["kind"], item["target"]) for item in found] == [
        ("swap", "mass"),
        ("held", "personalized"),
        ("swap", "personalized"),
        ("pause", "mass"),
        ("import", "mass"),
        ("resume", "mass"),
    ]
    swap, held, _, pause, imported, _ = found
    assert swap["title"] == "swap mass: -2 +4 rows"
    assert "3 rows added, 1 removed, 2 -> 4 rows in the window" in swap["text"]
    assert held["isRegion"] is True
    assert held["time"] == _ms(T0 + dt.timedelta(minutes=10))
    assert held["timeEnd"] == _ms(T0 + dt.timedelta(minutes=12, seconds=2))
    assert "3 runs" in held["text"]
    assert "would shrink the window" in held["text"]
    assert pause["tags"] == ["mailbanner", "pause", "cutover", "mass"]
    assert "banners_created 12" in imported["text"]
    assert {item["source"] for item in found} == {"system"}


def test_tags_narrow_to_events_carrying_all_of_them_or_any_with_match_any(
    app: Flask, client: FlaskClient
) -> None:
    for text, tags in (("deploy api", ["release", "api"]), ("deploy worker", ["release", "worker"])):
        body = {"text": text, "tags": tags, "time": (T0 + dt.timedelta(minutes=5)).isoformat()}
        assert client.post("/api/v1/annotations", json=body).status_code == 201
    _add(app, _run("mass", "swapped", 0, rows_inserted=1))
    assert [a["text"] for a in _window(client, tags="release,api")] == ["deploy api"]
    assert sorted(a["text"] for a in _window(client, tags="release")) == ["deploy api", "deploy worker"]
    assert len(_window(client, tags="api,swap", matchAny="true")) == 2
    assert [a["kind"] for a in _window(client, tags="mass")] == ["swap"]


def test_from_and_to_accept_iso_times_and_leave_out_what_is_outside(client: FlaskClient) -> None:
    for minutes in (0, 120):
        body = {"text": f"at {minutes}", "time": (T0 + dt.timedelta(minutes=minutes)).isoformat()}
        assert client.post("/api/v1/annotations", json=body).status_code == 201
    query = {"from": "2026-11-20T10:30:00+09:00", "to": "2026-11-20T12:00:00+09:00"}
    found = client.get("/api/v1/annotations", query_string=query).json
    assert [a["text"] for a in found] == ["at 120"]


def test_bad_annotations_are_refused_naming_the_field(client: FlaskClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x", "tags": ["has space"]}, "tags"),
        ({"text": "x", "time": "2026-11-20T10:00:00"}, "time"),
        ({"text": "x", "time": "yesterday"}, "time"),
        (
            {"text": "x", "time": T0.isoformat(), "timeEnd": (T0 - dt.timedelta(hours=1)).isoformat()},
            "timeEnd",
        ),
        ({"text": "x", "target": "fax"}, "target"),
        ({"text": "nul \x00 inside"}, "text"),
        ({"text": "x", "time": -1}, "time"),
        ({"text": "x", "time": 10**20}, "time"),
        ({"text": "x", "time": "0001-01-01T00:00:00+14:00"}, "time"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/annotations", json=body)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"]["json"], (body, response.json)
    for query, field in (
        ({"from": "soon"}, "from"),
        ({"tags": "a\x00b"}, "tags"),
        ({"to": "99999999999999999"}, "to"),
    ):
        bad_query = client.get("/api/v1/annotations", query_string=query)
        assert bad_query.status_code == 422, (query, bad_query.json)
        assert field in bad_query.json["errors"]["query"]
    backwards = client.get("/api/v1/annotations", query_string={"from": _ms(T0), "to": _ms(T0) - 1})
    assert backwards.status_code == 422
    assert "to" in backwards.json["errors"]["query"]
    assert _window(client) == []


def test_viewers_read_annotations_planners_and_operators_add_them(app: Flask) -> None:
    body = {"text": "campaign kick-off", "time": T0.isoformat()}
    for role, status in (("viewer", 403), ("planner", 201), ("operator", 201), ("admin", 403)):
        caller = user_client(app, f"only-{role}", [role])
        response = caller.post("/api/v1/annotations", json=body)
        assert response.status_code == status, (role, response.json)
        assert caller.get("/api/v1/annotations").status_code == 200
    viewer = user_client(app, "reader", ["viewer"])
    found = viewer.get("/api/v1/annotations", query_string={"from": _ms(T0), "to": _ms(T0)}).json
    assert sorted(a["author"] for a in found) == ["only-operator", "only-planner"]
    assert app.test_client().get("/api/v1/annotations").status_code == 401
