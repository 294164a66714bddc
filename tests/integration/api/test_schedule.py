"""Placing, ordering and removing banners on days through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from banner_api import create_app
from banner_api.publish import NullPublisher
from banner_common.models import ScheduleChange, ScheduleDay, ScheduleEntry
from banner_common.settings import Settings
from tests.factories import authorized_client, insert_banner

DAY = dt.date(2030, 3, 4)


def place(
    client: FlaskClient, banner_id: int, start: dt.date, end: dt.date | None = None, **extra: Any
) -> TestResponse:
    body: dict[str, Any] = {"banner_id": banner_id, "start_date": start.isoformat(), **extra}
    if end is not None:
        body["end_date"] = end.isoformat()
    return client.post("/api/v1/schedule", json=body)


def get_day(client: FlaskClient, day: dt.date, target: str = "mass") -> TestResponse:
    return client.get(f"/api/v1/schedule/days/{day.isoformat()}?target={target}")


def reorder(
    client: FlaskClient, day: dt.date, target: str, entry_ids: list[int], etag: str | None
) -> TestResponse:
    headers = {"If-Match": etag} if etag is not None else {}
    return client.put(
        f"/api/v1/schedule/days/{day.isoformat()}?target={target}",
        json={"entry_ids": entry_ids},
        headers=headers,
    )


def entries_in_db(app: Flask) -> list[tuple[dt.date, str, int, int]]:
    """(date, target, position, banner_id) of every entry, in display order."""
    with app.extensions["mailbanner"].session_factory() as session:
        rows = session.execute(
            select(
                ScheduleEntry.date, ScheduleEntry.target, ScheduleEntry.position, ScheduleEntry.banner_id
            ).order_by(ScheduleEntry.date, ScheduleEntry.target, ScheduleEntry.position)
        )
        return [tuple(row) for row in rows]


def versions_in_db(app: Flask) -> dict[tuple[dt.date, str], int]:
    with app.extensions["mailbanner"].session_factory() as session:
        rows = session.execute(select(ScheduleDay.date, ScheduleDay.target, ScheduleDay.version))
        return {(day, target): version for day, target, version in rows}


def changes_in_db(app: Flask) -> list[tuple[str, dt.date, dt.date, str]]:
    with app.extensions["mailbanner"].session_factory() as session:
        rows = session.execute(
            select(
                ScheduleChange.targets,
                ScheduleChange.first_day,
                ScheduleChange.last_day,
                ScheduleChange.reason,
            ).order_by(ScheduleChange.id)
        )
        return [tuple(row) for row in rows]


def banner_ids_of_day(client: FlaskClient, day: dt.date, target: str = "mass") -> list[int]:
    return [entry["banner"]["id"] for entry in get_day(client, day, target).get_json()["entries"]]


@pytest.fixture
def small_app(settings: Settings) -> Iterator[Flask]:
    """The API with at most two banners per day and target."""
    app = create_app(replace(settings, max_banners_per_day=2), publisher=NullPublisher())
    yield app
    app.extensions["mailbanner"].engine.dispose()


# --- placement -------------------------------------------------------------------------------------------


def test_range_placement_puts_the_banner_on_every_day_for_every_target(
    app: Flask, client: FlaskClient
) -> None:
    banner = insert_banner(app)

    response = place(client, banner, DAY, DAY + dt.timedelta(days=2))

    assert response.status_code == 201
    body = response.get_json()
    assert body["count"] == 6
    assert {(e["date"], e["target"], e["position"], e["banner_id"]) for e in body["entries"]} == {
        ((DAY + dt.timedelta(days=n)).isoformat(), target, 1, banner)
        for n in range(3)
        for target in ("mass", "personalized")
    }
    assert all(isinstance(e["id"], int) for e in body["entries"])
    assert entries_in_db(app) == [
        (DAY + dt.timedelta(days=n), target, 1, banner)
        for n in range(3)
        for target in ("mass", "personalized")
    ]
    assert versions_in_db(app) == {
        (DAY + dt.timedelta(days=n), target): 1 for n in range(3) for target in ("mass", "personalized")
    }
    assert changes_in_db(app) == [("mass,personalized", DAY, DAY + dt.timedelta(days=2), "scheduled")]


def test_placement_without_end_date_covers_one_day_and_chosen_targets_only(
    app: Flask, client: FlaskClient
) -> None:
    banner = insert_banner(app)

    response = place(client, banner, DAY, targets=["personalized"])

    assert response.status_code == 201
    assert response.get_json()["count"] == 1
    assert entries_in_db(app) == [(DAY, "personalized", 1, banner)]
    assert changes_in_db(app) == [("personalized", DAY, DAY, "scheduled")]


def test_placement_defaults_to_last_position(app: Flask, client: FlaskClient) -> None:
    first, second = insert_banner(app, title="First"), insert_banner(app, title="Second")

    place(client, first, DAY, targets=["mass"])
    response = place(client, second, DAY, targets=["mass"])

    assert response.get_json()["entries"][0]["position"] == 2
    assert banner_ids_of_day(client, DAY) == [first, second]


def test_insert_at_a_position_shifts_later_entries_down(app: Flask, client: FlaskClient) -> None:
    a, b, c = (insert_banner(app, title=t) for t in "ABC")
    place(client, a, DAY, DAY + dt.timedelta(days=1), targets=["mass"])
    place(client, b, DAY, DAY + dt.timedelta(days=1), targets=["mass"])

    response = place(client, c, DAY, DAY + dt.timedelta(days=1), position=2, targets=["mass"])

    assert response.status_code == 201
    for day in (DAY, DAY + dt.timedelta(days=1)):
        assert banner_ids_of_day(client, day) == [a, c, b]
    assert [position for _, _, position, _ in entries_in_db(app)] == [1, 2, 3, 1, 2, 3]


def test_position_beyond_the_end_of_a_day_is_refused_naming_position(app: Flask, client: FlaskClient) -> None:
    a, b = insert_banner(app), insert_banner(app)
    place(client, a, DAY, targets=["mass"])

    response = place(client, b, DAY, position=3, targets=["mass"])

    assert response.status_code == 422
    assert "position" in response.get_json()["errors"]["json"]
    assert entries_in_db(app) == [(DAY, "mass", 1, a)]


def test_position_zero_is_refused_by_the_schema(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)

    response = place(client, banner, DAY, position=0)

    assert response.status_code == 422
    assert "position" in response.get_json()["errors"]["json"]
    assert entries_in_db(app) == []


def test_range_with_one_day_already_holding_the_banner_writes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    banner = insert_banner(app)
    middle = DAY + dt.timedelta(days=1)
    place(client, banner, middle, targets=["mass"])
    before = (entries_in_db(app), versions_in_db(app), changes_in_db(app))

    response = place(client, banner, DAY, DAY + dt.timedelta(days=2))

    assert response.status_code == 409
    body = response.get_json()
    assert middle.isoformat() in body["message"]
    assert [msg[:10] for msg in body["errors"]["json"]["dates"]] == [middle.isoformat()]
    assert (entries_in_db(app), versions_in_db(app), changes_in_db(app)) == before


def test_duplicate_on_the_same_day_and_target_is_refused(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)
    assert place(client, banner, DAY, targets=["mass"]).status_code == 201

    response = place(client, banner, DAY, targets=["mass"])

    assert response.status_code == 409
    assert DAY.isoformat() in response.get_json()["errors"]["json"]["dates"][0]
    assert entries_in_db(app) == [(DAY, "mass", 1, banner)]


def test_same_banner_on_the_same_day_for_another_target_is_accepted(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)
    place(client, banner, DAY, targets=["mass"])

    response = place(client, banner, DAY, targets=["personalized"])

    assert response.status_code == 201
    assert entries_in_db(app) == [(DAY, "mass", 1, banner), (DAY, "personalized", 1, banner)]


def test_a_day_takes_banners_up_to_the_maximum_and_refuses_one_more(small_app: Flask) -> None:
    client = authorized_client(small_app)
    a, b, c = (insert_banner(small_app, title=t) for t in "ABC")

    assert place(client, a, DAY, targets=["mass"]).status_code == 201
    assert place(client, b, DAY, targets=["mass"]).status_code == 201
    response = place(client, c, DAY, targets=["mass"])

    assert response.status_code == 409
    assert DAY.isoformat() in response.get_json()["errors"]["json"]["dates"][0]
    assert [banner for *_, banner in entries_in_db(small_app)] == [a, b]
    assert versions_in_db(small_app) == {(DAY, "mass"): 2}


def test_range_with_one_full_day_writes_nothing(small_app: Flask) -> None:
    client = authorized_client(small_app)
    a, b, c = (insert_banner(small_app, title=t) for t in "ABC")
    last = DAY + dt.timedelta(days=2)
    place(client, a, last, targets=["mass"])
    place(client, b, last, targets=["mass"])
    before = (entries_in_db(small_app), versions_in_db(small_app), changes_in_db(small_app))

    response = place(client, c, DAY, last, targets=["mass"])

    assert response.status_code == 409
    assert [msg[:10] for msg in response.get_json()["errors"]["json"]["dates"]] == [last.isoformat()]
    assert (entries_in_db(small_app), versions_in_db(small_app), changes_in_db(small_app)) == before


def test_archived_banner_cannot_be_scheduled(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app, archived=True)

    response = place(client, banner, DAY)

    assert response.status_code == 422
    assert "archived" in response.get_json()["errors"]["json"]["banner_id"][0]
    assert entries_in_db(app) == []
    assert changes_in_db(app) == []


def test_unknown_banner_is_refused_naming_banner_id(client: FlaskClient) -> None:
    response = place(client, 999, DAY)

    assert response.status_code == 422
    assert "banner_id" in response.get_json()["errors"]["json"]


def test_unknown_target_is_refused_naming_targets(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)

    response = place(client, banner, DAY, targets=["mass", "carrier-pigeon"])

    assert response.status_code == 422
    assert "carrier-pigeon" in response.get_json()["errors"]["json"]["targets"][0]
    assert entries_in_db(app) == []
    assert versions_in_db(app) == {}


def test_empty_target_list_is_refused(app: Flask, client: FlaskClient) -> None:
    response = place(client, insert_banner(app), DAY, targets=[])

    assert response.status_code == 422
    assert "targets" in response.get_json()["errors"]["json"]


def test_end_before_start_is_refused_naming_end_date(app: Flask, client: FlaskClient) -> None:
    response = place(client, insert_banner(app), DAY, DAY - dt.timedelta(days=1))

    assert response.status_code == 422
    assert "end_date" in response.get_json()["errors"]["json"]
    assert entries_in_db(app) == []


def test_range_longer_than_366_days_is_refused(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)

    too_long = place(client, banner, DAY, DAY + dt.timedelta(days=366))
    longest = place(client, banner, DAY, DAY + dt.timedelta(days=365), targets=["mass"])

    assert too_long.status_code == 422
    assert "end_date" in too_long.get_json()["errors"]["json"]
    assert longest.status_code == 201
    assert longest.get_json()["count"] == 366


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"banner_id": 1, "start_date": "2030-02-30"}, "start_date"),
        ({"banner_id": 1, "start_date": "tomorrow"}, "start_date"),
        ({"start_date": "2030-03-04"}, "banner_id"),
        ({"banner_id": "one", "start_date": "2030-03-04"}, "banner_id"),
        ({"banner_id": 1, "start_date": "2030-03-04", "end_date": "soon"}, "end_date"),
        ({"banner_id": 1, "start_date": "2030-03-04", "targets": "mass"}, "targets"),
        ({"banner_id": 1, "start_date": "9999-12-31"}, "start_date"),
    ],
)
def test_malformed_placement_is_refused_naming_the_field(
    app: Flask, client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    insert_banner(app)

    response = client.post("/api/v1/schedule", json=body)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert entries_in_db(app) == []


# --- reading a day ---------------------------------------------------------------------------------------


def test_day_lists_entries_with_banners_and_its_version_as_etag(app: Flask, client: FlaskClient) -> None:
    a = insert_banner(app, title="Spring", image_url="http://banners.test/images/spring.png")
    b = insert_banner(app, title="Summer")
    place(client, a, DAY, targets=["mass"])
    place(client, b, DAY, targets=["mass"])

    response = get_day(client, DAY)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    body = response.get_json()
    assert (body["date"], body["target"], body["version"]) == (DAY.isoformat(), "mass", 2)
    assert [(e["position"], e["banner_id"], e["banner"]["title"]) for e in body["entries"]] == [
        (1, a, "Spring"),
        (2, b, "Summer"),
    ]
    assert body["entries"][0]["banner"]["image_url"] == "http://banners.test/images/spring.png"


def test_never_written_day_is_empty_at_version_zero(client: FlaskClient) -> None:
    response = get_day(client, DAY, "personalized")

    assert response.status_code == 200
    assert response.headers["ETag"] == '"0"'
    assert response.get_json() == {
        "date": DAY.isoformat(),
        "target": "personalized",
        "version": 0,
        "pending": 0,
        "entries": [],
    }


@pytest.mark.parametrize("query", ["", "?target=", "?target=fax"])
def test_day_without_a_known_target_is_refused_naming_target(client: FlaskClient, query: str) -> None:
    response = client.get(f"/api/v1/schedule/days/{DAY.isoformat()}{query}")

    assert response.status_code == 422
    assert "target" in response.get_json()["errors"]["query"]


@pytest.mark.parametrize("day", ["2030-02-30", "20300304", "yesterday"])
def test_day_with_a_bad_date_is_refused_naming_date(client: FlaskClient, day: str) -> None:
    response = client.get(f"/api/v1/schedule/days/{day}?target=mass")

    assert response.status_code == 422
    assert "date" in response.get_json()["errors"]["path"]


# --- reordering ------------------------------------------------------------------------------------------


def _three_on_mass(app: Flask, client: FlaskClient) -> tuple[list[int], str]:
    """Schedule three banners on DAY for mass; returns their entry ids top first and the day's ETag."""
    for title in "ABC":
        place(client, insert_banner(app, title=title), DAY, targets=["mass"])
    day = get_day(client, DAY)
    return [e["id"] for e in day.get_json()["entries"]], day.headers["ETag"]


def test_reorder_with_current_etag_applies_the_new_order(app: Flask, client: FlaskClient) -> None:
    ids, etag = _three_on_mass(app, client)
    changes_before = len(changes_in_db(app))

    response = reorder(client, DAY, "mass", [ids[2], ids[0], ids[1]], etag)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"4"'
    body = response.get_json()
    assert body["version"] == 4
    assert [(e["id"], e["position"]) for e in body["entries"]] == [(ids[2], 1), (ids[0], 2), (ids[1], 3)]
    assert [e["id"] for e in get_day(client, DAY).get_json()["entries"]] == [ids[2], ids[0], ids[1]]
    assert changes_in_db(app)[changes_before:] == [("mass", DAY, DAY, "reordered")]


def test_reorder_with_a_stale_etag_is_refused_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    ids, etag = _three_on_mass(app, client)
    assert reorder(client, DAY, "mass", [ids[1], ids[0], ids[2]], etag).status_code == 200
    before = (entries_in_db(app), versions_in_db(app), changes_in_db(app))

    response = reorder(client, DAY, "mass", [ids[2], ids[1], ids[0]], etag)

    assert response.status_code == 412
    assert response.headers["ETag"] == '"4"'
    assert response.get_json()["current_etag"] == '"4"'
    assert "If-Match" in response.get_json()["errors"]["headers"]
    assert (entries_in_db(app), versions_in_db(app), changes_in_db(app)) == before


def test_reorder_without_if_match_is_refused_with_428(app: Flask, client: FlaskClient) -> None:
    ids, _ = _three_on_mass(app, client)
    before = (entries_in_db(app), versions_in_db(app))

    response = reorder(client, DAY, "mass", list(reversed(ids)), None)

    assert response.status_code == 428
    assert "If-Match" in response.get_json()["errors"]["headers"]
    assert (entries_in_db(app), versions_in_db(app)) == before


@pytest.mark.parametrize(
    "pick",
    [
        pytest.param(lambda ids: ids[:2], id="one-missing"),
        pytest.param(lambda ids: [*ids, ids[0]], id="one-twice"),
        pytest.param(lambda ids: [*ids[:2], 9999], id="a-stranger"),
        pytest.param(lambda ids: [], id="none"),
    ],
)
def test_reorder_with_the_wrong_id_set_is_refused_naming_entry_ids(
    app: Flask, client: FlaskClient, pick: Any
) -> None:
    ids, etag = _three_on_mass(app, client)
    before = (entries_in_db(app), versions_in_db(app), changes_in_db(app))

    response = reorder(client, DAY, "mass", pick(ids), etag)

    assert response.status_code == 422
    assert "entry_ids" in response.get_json()["errors"]["json"]
    assert (entries_in_db(app), versions_in_db(app), changes_in_db(app)) == before


def test_concurrent_reorders_holding_one_version_let_exactly_one_through(
    app: Flask, client: FlaskClient
) -> None:
    ids, etag = _three_on_mass(app, client)
    orders = [[ids[n % 3], ids[(n + 1) % 3], ids[(n + 2) % 3]] for n in range(6)]
    statuses: list[int] = []
    start = threading.Barrier(len(orders))

    def attempt(order: list[int]) -> None:
        start.wait()
        statuses.append(reorder(authorized_client(app), DAY, "mass", order, etag).status_code)

    threads = [threading.Thread(target=attempt, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [412] * (len(orders) - 1)
    assert versions_in_db(app)[(DAY, "mass")] == 4
    assert [p for *_, p, _ in entries_in_db(app)] == [1, 2, 3]


# --- removal ---------------------------------------------------------------------------------------------


def test_removing_an_entry_renumbers_the_day(app: Flask, client: FlaskClient) -> None:
    ids, _ = _three_on_mass(app, client)
    changes_before = len(changes_in_db(app))

    response = client.delete(f"/api/v1/schedule/entries/{ids[0]}")

    assert response.status_code == 204
    day = get_day(client, DAY).get_json()
    assert [(e["id"], e["position"]) for e in day["entries"]] == [(ids[1], 1), (ids[2], 2)]
    assert day["version"] == 4
    assert changes_in_db(app)[changes_before:] == [("mass", DAY, DAY, "unscheduled")]


def test_removing_an_entry_with_a_stale_if_match_changes_nothing(app: Flask, client: FlaskClient) -> None:
    ids, _ = _three_on_mass(app, client)
    before = (entries_in_db(app), versions_in_db(app), changes_in_db(app))

    response = client.delete(f"/api/v1/schedule/entries/{ids[0]}", headers={"If-Match": '"1"'})

    assert response.status_code == 412
    assert response.headers["ETag"] == '"3"'
    assert (entries_in_db(app), versions_in_db(app), changes_in_db(app)) == before


def test_removing_an_entry_with_the_current_if_match_succeeds(app: Flask, client: FlaskClient) -> None:
    ids, etag = _three_on_mass(app, client)

    response = client.delete(f"/api/v1/schedule/entries/{ids[1]}", headers={"If-Match": etag})

    assert response.status_code == 204
    assert [e["id"] for e in get_day(client, DAY).get_json()["entries"]] == [ids[0], ids[2]]


def test_removing_a_missing_entry_is_a_json_404(app: Flask, client: FlaskClient) -> None:
    response = client.delete("/api/v1/schedule/entries/4242")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert changes_in_db(app) == []


def test_range_removal_takes_the_banner_off_every_day_and_target(app: Flask, client: FlaskClient) -> None:
    keep, gone = insert_banner(app, title="Keep"), insert_banner(app, title="Gone")
    place(client, gone, DAY, DAY + dt.timedelta(days=2))
    place(client, keep, DAY, DAY + dt.timedelta(days=3))
    changes_before = len(changes_in_db(app))

    response = client.delete(
        f"/api/v1/schedule?banner_id={gone}&start_date={DAY}&end_date={DAY + dt.timedelta(days=1)}"
    )

    assert response.status_code == 200
    assert response.get_json() == {"removed": 4}
    remaining = entries_in_db(app)
    assert [(d, t, p) for d, t, p, b in remaining if b == gone] == [
        (DAY + dt.timedelta(days=2), "mass", 1),
        (DAY + dt.timedelta(days=2), "personalized", 1),
    ]
    # The banner left behind moves up to close the gap.
    assert {p for d, _, p, b in remaining if b == keep and d <= DAY + dt.timedelta(days=1)} == {1}
    assert changes_in_db(app)[changes_before:] == [
        ("mass,personalized", DAY, DAY + dt.timedelta(days=1), "unscheduled")
    ]


def test_range_removal_for_one_target_leaves_the_other(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)
    place(client, banner, DAY)

    response = client.delete(f"/api/v1/schedule?banner_id={banner}&start_date={DAY}&targets=personalized")

    assert response.get_json() == {"removed": 1}
    assert entries_in_db(app) == [(DAY, "mass", 1, banner)]


def test_range_removal_with_nothing_to_remove_records_no_change(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)

    response = client.delete(f"/api/v1/schedule?banner_id={banner}&start_date={DAY}")

    assert response.get_json() == {"removed": 0}
    assert changes_in_db(app) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("banner_id=1&start_date=2030-03-04&targets=fax", "targets"),
        ("banner_id=1&start_date=2030-03-04&end_date=2030-03-01", "end_date"),
        ("banner_id=77&start_date=2030-03-04", "banner_id"),
        ("banner_id=1", "start_date"),
    ],
)
def test_bad_range_removal_is_refused_naming_the_field(
    app: Flask, client: FlaskClient, query: str, field: str
) -> None:
    banner = insert_banner(app)
    place(client, banner, DAY)

    response = client.delete(f"/api/v1/schedule?{query}")

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["query"]
    assert len(entries_in_db(app)) == 2


def test_openapi_documents_every_schedule_endpoint(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"post", "delete"} <= set(paths["/api/v1/schedule"])
    assert {"get", "put"} <= set(paths["/api/v1/schedule/days/{date}"])
    assert "412" in paths["/api/v1/schedule/days/{date}"]["put"]["responses"]
    assert "428" in paths["/api/v1/schedule/days/{date}"]["put"]["responses"]
    assert "409" in paths["/api/v1/schedule"]["post"]["responses"]
    assert "404" in paths["/api/v1/schedule/entries/{entry_id}"]["delete"]["responses"]
    assert "get" in paths["/api/v1/calendar"]


@pytest.mark.parametrize("if_match", ['"²"', "garbage", 'W/"3"', '"99999999999999999999999"', '""'])
def test_unusable_if_match_is_treated_as_stale(app: Flask, client: FlaskClient, if_match: str) -> None:
    ids, _ = _three_on_mass(app, client)

    response = reorder(client, DAY, "mass", list(reversed(ids)), if_match)

    assert response.status_code == 412
    assert [e["id"] for e in get_day(client, DAY).get_json()["entries"]] == ids


def test_removing_an_entry_with_an_empty_quoted_if_match_is_412_not_500(
    app: Flask, client: FlaskClient
) -> None:
    ids, _ = _three_on_mass(app, client)

    response = client.delete(f"/api/v1/schedule/entries/{ids[0]}", headers={"If-Match": '""'})

    assert response.status_code == 412
    assert [e["id"] for e in get_day(client, DAY).get_json()["entries"]] == ids
