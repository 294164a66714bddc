"""GET /api/v1/kpis over real schedule data: live banners, coverage gaps, thin days, ending soon,
changes per day, active planners, banners by source; and who may read them."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from banner_api.kpis.service import compute_kpis
from banner_common.models import BANNER_IMPORTED, ScheduleChange, utcnow
from banner_common.settings import Settings
from tests.factories import insert_banner, user_client


def _place(client: FlaskClient, banner_id: int, first: dt.date, last: dt.date, targets: list[str]) -> None:
    response = client.post(
        "/api/v1/schedule",
        json={
            "banner_id": banner_id,
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "targets": targets,
        },
    )
    assert response.status_code == 201, response.json


def _today(settings: Settings) -> dt.date:
    return dt.datetime.now(settings.tz).date()


def test_kpis_count_live_banners_gaps_thin_days_and_endings(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    today = _today(settings)
    day = dt.timedelta(days=1)
    # Usually three banners a day on mass (the past two weeks), one on personalized.
    usual = [insert_banner(app, title=f"Usual {n}") for n in range(3)]
    for banner in usual:
        _place(client, banner, today - 14 * day, today - day, ["mass"])
    _place(client, usual[0], today - 14 * day, today - day, ["personalized"])
    # The coming days: two of them all along mass; a third only today..+5 (so +6..+14 are thin).
    for banner in usual[:2]:
        _place(client, banner, today, today + 14 * day, ["mass"])
    short = insert_banner(app, title="Short run")
    _place(client, short, today, today + 5 * day, ["mass"])
    # Personalized has banners today and on days +1..+3 only: +4..+14 are gaps.
    _place(client, usual[2], today, today + 3 * day, ["personalized"])
    insert_banner(app, title="Imported", source=BANNER_IMPORTED)

    response = client.get("/api/v1/kpis")
    assert response.status_code == 200, response.json
    body = response.json
    by_target = {row["target"]: row for row in body["targets"]}
    mass, personalized = by_target["mass"], by_target["personalized"]
    assert mass["banners_live_today"] == 3
    assert personalized["banners_live_today"] == 1
    assert mass["usual_banners_per_day"] == 3
    assert mass["coverage_gap_count"] == 0
    assert mass["thin_days"] == [(today + n * day).isoformat() for n in range(6, 15)]
    assert personalized["coverage_gap_days"] == [(today + n * day).isoformat() for n in range(4, 15)]
    assert personalized["coverage_gap_tomorrow"] is False
    assert body["horizon"] == {"first": (today + day).isoformat(), "last": (today + 14 * day).isoformat()}
    ending = body["banners_ending_soon"]
    assert ending["count"] == 2
    assert [(item["title"], item["last_day"]) for item in ending["items"]] == [
        ("Usual 2", (today + 3 * day).isoformat()),
        ("Short run", (today + 5 * day).isoformat()),
    ]
    assert body["banners_by_source"]["imported"]["total"] == 1
    assert body["banners_by_source"]["registered"]["total"] == 4
    assert body["active_planners_this_week"]["names"] == ["tester"]
    changes = body["schedule_changes_per_day"]
    assert len(changes) == 14
    assert changes[-1] == {"date": today.isoformat(), "changes": 8}  # one per placement above


def test_changes_per_day_are_bucketed_by_local_day_in_one_query(app: Flask, settings: Settings) -> None:
    now = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo
    day = dt.date(2026, 11, 22)
    moments = [
        now - dt.timedelta(hours=13),  # 23:00 the day before in Tokyo
        now - dt.timedelta(hours=11),  # 01:00 today in Tokyo
        now,
        now - dt.timedelta(days=20),  # outside the 14 days
    ]
    with app.extensions["mailbanner"].session_factory() as session:
        session.add_all(
            ScheduleChange(targets="mass", first_day=day, last_day=day, committed_at=moment)
            for moment in moments
        )
        session.commit()
        found = compute_kpis(session, settings.tz, ("mass",), now)
    per_day = {row["date"]: row["changes"] for row in found["schedule_changes_per_day"]}
    assert per_day[day] == 2
    assert per_day[day - dt.timedelta(days=1)] == 1
    assert sum(per_day.values()) == 3


def test_tomorrow_without_banners_is_a_gap_for_that_target(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    today = _today(settings)
    _place(client, insert_banner(app), today, today, ["mass", "personalized"])
    by_target = {row["target"]: row for row in client.get("/api/v1/kpis").json["targets"]}
    assert by_target["mass"]["coverage_gap_tomorrow"] is True
    assert by_target["mass"]["coverage_gap_count"] == 14
    assert by_target["mass"]["usual_banners_per_day"] is None
    assert by_target["mass"]["thin_day_count"] == 0


def test_a_campaign_scoped_planner_sees_kpis_of_its_own_banners(
    app: Flask, client: FlaskClient, settings: Settings
) -> None:
    today = _today(settings)
    _place(client, insert_banner(app, campaign_type="sale"), today, today, ["mass"])
    _place(client, insert_banner(app, campaign_type="brand"), today, today, ["mass"])
    scoped = user_client(app, "brand-planner", ["planner"], campaign_types=["brand"])
    by_target = {row["target"]: row for row in scoped.get("/api/v1/kpis").json["targets"]}
    assert by_target["mass"]["banners_live_today"] == 1
    assert client.get("/api/v1/kpis").json["targets"][1]["banners_live_today"] == 2


def test_a_contractor_scoped_to_sync_sees_no_business_kpis(app: Flask) -> None:
    contractor = user_client(app, "contractor", ["viewer"], views=["sync"])
    refused = contractor.get("/api/v1/kpis")
    assert refused.status_code == 403
    assert "schedule" in refused.json["message"]
    assert contractor.get("/api/v1/sync/status").status_code == 200
    assert app.test_client().get("/api/v1/kpis").status_code == 401


def test_kpis_answer_on_an_empty_database(client: FlaskClient) -> None:
    body = client.get("/api/v1/kpis").json
    assert [row["banners_live_today"] for row in body["targets"]] == [0, 0]
    assert body["banners_ending_soon"] == {"within_days": 7, "count": 0, "items": []}
    assert body["banners_by_source"] == {
        "registered": {"total": 0, "last_30_days": 0},
        "imported": {"total": 0, "last_30_days": 0},
    }
    assert utcnow() - dt.datetime.fromisoformat(body["as_of"]) < dt.timedelta(hours=1)
