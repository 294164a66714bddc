"""The month calendar through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from banner_api.schedule.schemas import DaySchema, dump_days
from banner_api.schedule.service import DayView
from banner_common.models import ScheduleEntry
from tests.factories import insert_banner, recorded_statements


def place(client: FlaskClient, banner_id: int, day: dt.date, **extra: Any) -> None:
    response = client.post(
        "/api/v1/schedule", json={"banner_id": banner_id, "start_date": day.isoformat(), **extra}
    )
    assert response.status_code == 201, response.get_json()


def test_calendar_lists_every_day_of_the_month_per_target_in_date_then_target_order(
    app: Flask, client: FlaskClient
) -> None:
    spring = insert_banner(app, title="Spring")
    sale = insert_banner(app, title="Sale")
    place(client, spring, dt.date(2030, 3, 4))
    place(client, sale, dt.date(2030, 3, 4), targets=["mass"], position=1)
    place(client, sale, dt.date(2030, 3, 31), targets=["personalized"])

    response = client.get("/api/v1/calendar?month=2030-03")

    assert response.status_code == 200
    body = response.get_json()
    assert body["month"] == "2030-03"
    assert [(d["date"], d["target"]) for d in body["days"]] == [
        (dt.date(2030, 3, n).isoformat(), target) for n in range(1, 32) for target in ("mass", "personalized")
    ]
    shown = {(d["date"], d["target"]): d for d in body["days"]}
    mass_4th = shown[("2030-03-04", "mass")]
    assert [(e["position"], e["banner"]["title"]) for e in mass_4th["entries"]] == [
        (1, "Sale"),
        (2, "Spring"),
    ]
    assert mass_4th["version"] == 2
    assert [e["banner"]["title"] for e in shown[("2030-03-04", "personalized")]["entries"]] == ["Spring"]
    assert [e["banner"]["title"] for e in shown[("2030-03-31", "personalized")]["entries"]] == ["Sale"]
    assert shown[("2030-03-01", "mass")] == {
        "date": "2030-03-01",
        "target": "mass",
        "version": 0,
        "pending": 0,
        "entries": [],
    }
    assert sum(1 for d in body["days"] if d["entries"]) == 3


def test_calendar_for_one_target_shows_only_that_target(app: Flask, client: FlaskClient) -> None:
    place(client, insert_banner(app), dt.date(2030, 4, 30))

    body = client.get("/api/v1/calendar?month=2030-04&target=personalized").get_json()

    assert [d["date"] for d in body["days"]] == [dt.date(2030, 4, n).isoformat() for n in range(1, 31)]
    assert {d["target"] for d in body["days"]} == {"personalized"}
    assert len(body["days"][-1]["entries"]) == 1


def test_calendar_does_not_leak_neighbouring_months(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)
    place(client, banner, dt.date(2028, 1, 31))
    place(client, banner, dt.date(2028, 3, 1))

    body = client.get("/api/v1/calendar?month=2028-02&target=mass").get_json()

    assert len(body["days"]) == 29  # a leap year
    assert all(d["entries"] == [] for d in body["days"])


def test_calendar_shows_what_a_day_read_shows(app: Flask, client: FlaskClient) -> None:
    day = dt.date(2030, 3, 9)
    for title in ("A", "B", "C"):
        place(client, insert_banner(app, title=title), day, targets=["mass"])

    calendar = client.get("/api/v1/calendar?month=2030-03&target=mass").get_json()
    single = client.get(f"/api/v1/schedule/days/{day}?target=mass").get_json()

    assert next(d for d in calendar["days"] if d["date"] == day.isoformat()) == single


@pytest.mark.parametrize("month", ["2030-13", "2030-00", "2030-3", "March", "2030-03-01", ""])
def test_bad_month_is_refused_naming_month(client: FlaskClient, month: str) -> None:
    response = client.get(f"/api/v1/calendar?month={month}")

    assert response.status_code == 422
    assert "month" in response.get_json()["errors"]["query"]


def test_missing_month_is_refused_naming_month(client: FlaskClient) -> None:
    response = client.get("/api/v1/calendar")

    assert response.status_code == 422
    assert "month" in response.get_json()["errors"]["query"]


def test_unknown_target_is_refused_naming_target(client: FlaskClient) -> None:
    response = client.get("/api/v1/calendar?month=2030-03&target=fax")

    assert response.status_code == 422
    assert "target" in response.get_json()["errors"]["query"]


def test_calendar_reads_a_month_in_a_fixed_number_of_queries(app: Flask, client: FlaskClient) -> None:
    banners = [insert_banner(app, title=f"B{n}") for n in range(3)]
    for day in (1, 15, 28):
        for banner in banners:
            place(client, banner, dt.date(2030, 2, day))
    with recorded_statements(app.extensions["mailbanner"].engine) as statements:
        response = client.get("/api/v1/calendar?month=2030-02")

    assert response.status_code == 200
    assert sum(len(d["entries"]) for d in response.get_json()["days"]) == 18
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The content version (see read_cache), then entries, their banners (each once) and the days'
    # versions, however many entries; the bearer token was checked moments ago by the same process.
    assert [s for s in reads if "api_tokens" in s] == []
    assert len(reads) == 4


def test_days_are_built_exactly_as_their_schema_documents(app: Flask, client: FlaskClient) -> None:
    spring, sale = insert_banner(app, title="Spring"), insert_banner(app, title="Sale")
    for banner in (spring, sale):
        place(client, banner, dt.date(2030, 5, 1), targets=["mass"])
    place(client, sale, dt.date(2030, 5, 2), targets=["mass"])
    with app.extensions["mailbanner"].session_factory() as session:
        entries = session.scalars(select(ScheduleEntry).order_by(ScheduleEntry.id)).all()
        # One entry pending with two authors, one approved by someone: every field has a value.
        entries[0].approval, entries[0].changed_by = "pending", "ann,bob"
        entries[1].approved_by, entries[1].approved_at = "carol", dt.datetime(2030, 4, 30, 9, tzinfo=dt.UTC)
        days = [
            DayView(dt.date(2030, 5, 1), "mass", 2, list(entries[:2])),
            DayView(dt.date(2030, 5, 2), "mass", 1, [entries[2]]),
            DayView(dt.date(2030, 5, 3), "mass", 0, []),
        ]

        built = dump_days(days)

        assert built == DaySchema(many=True).dump(days)
    assert built[0]["pending"] == 1
    assert built[0]["entries"][0]["changed_by"] == ["ann", "bob"]
    assert built[0]["entries"][1]["banner"]["title"] == "Sale"
    assert built[0]["entries"][1]["banner"] is built[1]["entries"][0]["banner"]  # dumped once
