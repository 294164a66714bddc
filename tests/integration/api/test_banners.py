"""The banner resource over real HTTP, on every banner database backend."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from banner_api import create_app
from banner_api.publish import NullPublisher
from banner_common.delivery import today_in
from banner_common.models import Banner, ScheduleChange, ScheduleDay, ScheduleEntry
from banner_common.settings import Settings
from tests.factories import authorized_client, image_bytes, insert_banner, register_banner, stored_files

FAR_DAY = dt.date(2031, 3, 10)


# --- helpers -------------------------------------------------------------------------------------


def session_of(app: Flask) -> Any:
    return app.extensions["mailbanner"].session_factory()


def banner_rows(app: Flask) -> list[Banner]:
    with session_of(app) as session:
        return list(session.scalars(sa.select(Banner).order_by(Banner.id)))


def schedule(
    app: Flask, banner_id: int, day: dt.date, target: str = "personalized", position: int = 1
) -> int:
    with session_of(app) as session:
        entry = ScheduleEntry(banner_id=banner_id, date=day, target=target, position=position)
        session.add(entry)
        session.commit()
        return entry.id


def entries_of(app: Flask, day: dt.date, target: str = "personalized") -> list[tuple[int, int]]:
    """(banner id, position) of a day's entries, in position order."""
    with session_of(app) as session:
        rows = session.execute(
            sa.select(ScheduleEntry.banner_id, ScheduleEntry.position)
            .where(ScheduleEntry.date == day, ScheduleEntry.target == target)
            .order_by(ScheduleEntry.position)
        )
        return [(banner_id, position) for banner_id, position in rows]


def changes(app: Flask) -> list[tuple[str, dt.date, dt.date, str]]:
    with session_of(app) as session:
        rows = session.scalars(sa.select(ScheduleChange).order_by(ScheduleChange.id))
        return [(c.targets, c.first_day, c.last_day, c.reason) for c in rows]


def field_errors(response: Any, location: str) -> dict[str, list[str]]:
    body = response.get_json()
    errors: dict[str, list[str]] = body["errors"][location]
    return errors


@pytest.fixture
def app_with(settings: Settings) -> Iterator[Any]:
    """Build an app with some settings changed; its engine is disposed after the test."""
    built: list[Flask] = []

    def build(**changes: Any) -> FlaskClient:
        app = create_app(replace(settings, **changes), publisher=NullPublisher())
        app.config["TESTING"] = True
        built.append(app)
        return authorized_client(app)

    yield build
    for app in built:
        app.extensions["mailbanner"].engine.dispose()


# --- registration and images ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "filename", "content_type"),
    [
        ("PNG", "winter.png", "image/png"),
        ("JPEG", "winter.JPEG", "image/jpeg"),
        ("GIF", "winter.gif", "image/gif"),
    ],
)
def test_registering_a_good_image_stores_it_and_serves_it_at_its_url(
    client: FlaskClient, app: Flask, settings: Settings, fmt: str, filename: str, content_type: str
) -> None:
    data = image_bytes(fmt, 640, 100)
    response = register_banner(client, image=data, filename=filename, title="  Winter sale  ", notes="hi")

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/banners/{body['id']}"
    assert body["title"] == "Winter sale"
    assert (body["image_width"], body["image_height"]) == (640, 100)
    assert body["image_content_type"] == content_type
    assert body["image_bytes"] == len(data)
    assert body["link_url"] == "https://shop.example.com/winter"
    assert (body["campaign_type"], body["notes"], body["archived"], body["version"]) == (
        "sale",
        "hi",
        False,
        1,
    )
    assert body["image_url"].startswith("http://banners.test/images/")
    assert body["source"] == "registered"
    [row] = banner_rows(app)
    assert (row.id, row.title, row.image_url, row.image_content_type) == (
        body["id"],
        "Winter sale",
        body["image_url"],
        content_type,
    )
    assert stored_files(settings) == [row.image_key]

    served = client.get(urlsplit(body["image_url"]).path)
    assert served.status_code == 200
    assert served.mimetype == content_type
    assert served.data == data


@pytest.mark.parametrize(
    ("image", "filename", "expected"),
    [
        (image_bytes("GIF"), "banner.png", "named as PNG but its content is GIF"),
        (b"just some text, honestly", "banner.jpg", "not an image"),
        (image_bytes("PNG", 1601, 100), "banner.png", "1601x100 pixels; the limit is 1600x1600"),
        (image_bytes("PNG"), "banner.bmp", ".bmp files are not accepted"),
    ],
    ids=["gif-named-png", "text-named-jpg", "picture-too-wide", "bad-extension"],
)
def test_a_refused_image_is_a_422_naming_image_and_writes_no_row_and_no_file(
    client: FlaskClient, app: Flask, settings: Settings, image: bytes, filename: str, expected: str
) -> None:
    response = register_banner(client, image=image, filename=filename)

    assert response.status_code == 422
    [message] = field_errors(response, "files")["image"]
    assert expected in message
    assert banner_rows(app) == []
    assert stored_files(settings) == []


def test_a_file_over_the_byte_limit_is_refused(app_with: Any, settings: Settings) -> None:
    client = app_with(image_max_bytes=1000)
    big_png = image_bytes("PNG", 400, 400, color="red") + b"\0" * 1000

    response = register_banner(client, image=big_png)

    assert response.status_code == 422
    assert field_errors(response, "files")["image"] == ["the file is larger than the limit of 1000 bytes"]
    assert stored_files(settings) == []


def test_registration_without_an_image_is_refused(client: FlaskClient, app: Flask) -> None:
    response = register_banner(client, image=False)

    assert response.status_code == 422
    assert "image" in field_errors(response, "files")
    assert banner_rows(app) == []


@pytest.mark.parametrize("missing", ["title", "link_url", "campaign_type"])
def test_each_required_field_is_named_when_missing(client: FlaskClient, app: Flask, missing: str) -> None:
    data = {
        "title": "Winter sale",
        "link_url": "https://shop.example.com/",
        "campaign_type": "sale",
        "image": (io.BytesIO(image_bytes()), "banner.png"),
    }
    del data[missing]

    response = client.post("/api/v1/banners", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    assert missing in field_errors(response, "form")
    assert banner_rows(app) == []


@pytest.mark.parametrize("title", ["   ", "x" * 201])
def test_a_blank_or_too_long_title_is_refused(client: FlaskClient, title: str) -> None:
    response = register_banner(client, title=title)

    assert response.status_code == 422
    assert field_errors(response, "form")["title"] == ["must be 1 to 200 characters (after trimming)"]


def test_notes_longer_than_2000_characters_are_refused(client: FlaskClient) -> None:
    assert register_banner(client, notes="n" * 2000).status_code == 201
    response = register_banner(client, notes="n" * 2001)

    assert response.status_code == 422
    assert "notes" in field_errors(response, "form")


def test_an_unknown_campaign_type_is_refused_listing_the_allowed_ones(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    response = register_banner(client, campaign_type="spam")

    assert response.status_code == 422
    [message] = field_errors(response, "form")["campaign_type"]
    assert "'spam' is not a campaign type" in message
    assert "sale, event, brand, partner, information" in message
    assert banner_rows(app) == []
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("link_url", "expected"),
    [
        ("javascript:alert(document.cookie)", "not javascript:"),
        ("/winter-sale", "absolute"),
        ("shop.example.com/winter", "absolute"),
        ("https://shop.example.com/" + "a" * 2048, "the limit is 2048"),
    ],
    ids=["javascript", "relative", "scheme-less", "too-long"],
)
def test_a_bad_link_is_a_422_naming_link_url_and_writes_nothing(
    client: FlaskClient, app: Flask, settings: Settings, link_url: str, expected: str
) -> None:
    response = register_banner(client, link_url=link_url)

    assert response.status_code == 422
    [message] = field_errors(response, "form")["link_url"]
    assert expected in message
    assert banner_rows(app) == []
    assert stored_files(settings) == []


def test_links_to_hosts_outside_the_allowed_list_are_refused(app_with: Any) -> None:
    client = app_with(link_allowed_hosts=("example.com",))

    refused = register_banner(client, link_url="https://evil.test/winter")
    accepted = register_banner(client, link_url="https://shop.example.com/winter")

    assert refused.status_code == 422
    assert "may only point to example.com" in field_errors(refused, "form")["link_url"][0]
    assert accepted.status_code == 201


@pytest.fixture
def failing_banner_inserts(app: Flask) -> Iterator[None]:
    """A real database refusal of every banner insert (a trigger), removed after the test."""
    engine = app.extensions["mailbanner"].engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_banners BEFORE INSERT ON banners "
                    "BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE FUNCTION refuse_banners() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused by test'; END $$"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER refuse_banners BEFORE INSERT ON banners "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_banners()"
                )
            )
    yield
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER refuse_banners"))
        else:
            conn.execute(sa.text("DROP TRIGGER refuse_banners ON banners"))
            conn.execute(sa.text("DROP FUNCTION refuse_banners()"))


@pytest.mark.usefixtures("failing_banner_inserts")
def test_a_failed_database_write_leaves_no_stored_image(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    response = register_banner(client)

    assert response.status_code == 500
    assert banner_rows(app) == []
    assert stored_files(settings) == []


# --- reading -------------------------------------------------------------------------------------


def test_a_banner_is_read_with_its_version_as_etag(client: FlaskClient, app: Flask) -> None:
    banner_id = insert_banner(app, title="Spring")

    response = client.get(f"/api/v1/banners/{banner_id}")

    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert (response.get_json()["id"], response.get_json()["title"]) == (banner_id, "Spring")


def test_a_missing_banner_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/banners/999")

    assert response.status_code == 404
    assert response.get_json()["message"] == "banner 999 does not exist"


def test_an_id_beyond_the_id_columns_is_a_json_404_not_a_database_error(client: FlaskClient) -> None:
    response = client.get("/api/v1/banners/99999999999999999999")

    assert response.status_code == 404
    assert response.get_json()["code"] == 404


# --- editing -------------------------------------------------------------------------------------


def test_editing_without_if_match_is_refused_with_428(client: FlaskClient, app: Flask) -> None:
    banner_id = insert_banner(app, title="Before")

    response = client.patch(f"/api/v1/banners/{banner_id}", json={"title": "After"})

    assert response.status_code == 428
    assert '"1"' in response.get_json()["message"]
    assert banner_rows(app)[0].title == "Before"


def test_editing_with_a_stale_if_match_is_refused_with_412(client: FlaskClient, app: Flask) -> None:
    banner_id = insert_banner(app, title="Before")
    first = client.patch(f"/api/v1/banners/{banner_id}", json={"title": "First"}, headers={"If-Match": '"1"'})

    second = client.patch(
        f"/api/v1/banners/{banner_id}", json={"title": "Second"}, headers={"If-Match": '"1"'}
    )

    assert first.status_code == 200
    assert second.status_code == 412
    [row] = banner_rows(app)
    assert (row.title, row.version) == ("First", 2)


def test_editing_with_the_current_etag_changes_the_fields_and_the_version(
    client: FlaskClient, app: Flask
) -> None:
    banner_id = insert_banner(app)

    response = client.patch(
        f"/api/v1/banners/{banner_id}",
        json={"title": " Summer ", "link_url": "https://shop.example.com/summer", "campaign_type": "event"},
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    body = response.get_json()
    assert (body["title"], body["link_url"], body["campaign_type"], body["notes"]) == (
        "Summer",
        "https://shop.example.com/summer",
        "event",
        "",
    )
    [row] = banner_rows(app)
    assert (row.title, row.link_url, row.campaign_type, row.version) == (
        "Summer",
        "https://shop.example.com/summer",
        "event",
        2,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"link_url": "javascript:alert(1)"}, "link_url"),
        ({"campaign_type": "spam"}, "campaign_type"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_edit_is_a_422_naming_the_field_and_changes_nothing(
    client: FlaskClient, app: Flask, payload: dict[str, str], field: str
) -> None:
    banner_id = insert_banner(app)

    response = client.patch(f"/api/v1/banners/{banner_id}", json=payload, headers={"If-Match": '"1"'})

    assert response.status_code == 422
    assert field in field_errors(response, "json")
    assert banner_rows(app)[0].version == 1


def test_replacing_the_image_serves_the_new_one_and_retires_the_old_file(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    created = register_banner(client).get_json()
    old_path = urlsplit(created["image_url"]).path
    new_data = image_bytes("JPEG", 300, 250)

    response = client.patch(
        f"/api/v1/banners/{created['id']}",
        data={"notes": "new picture", "image": (io.BytesIO(new_data), "spring.jpg")},
        content_type="multipart/form-data",
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["image_width"], body["image_height"], body["image_content_type"]) == (300, 250, "image/jpeg")
    assert body["notes"] == "new picture"
    assert body["version"] == 2
    assert client.get(urlsplit(body["image_url"]).path).data == new_data
    # The old file stays for newsletters already sent (test_retired_images), until pruned.
    assert client.get(old_path).status_code == 200
    assert sorted(stored_files(settings)) == sorted(
        [banner_rows(app)[0].image_key, old_path.rsplit("/", 1)[1]]
    )


def test_a_refused_replacement_image_keeps_the_old_one(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    created = register_banner(client).get_json()
    files_before = stored_files(settings)

    response = client.patch(
        f"/api/v1/banners/{created['id']}",
        data={"image": (io.BytesIO(image_bytes("GIF")), "spring.png")},
        content_type="multipart/form-data",
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 422
    assert "image" in field_errors(response, "files")
    assert stored_files(settings) == files_before
    assert banner_rows(app)[0].image_url == created["image_url"]


def test_changing_the_link_of_a_scheduled_banner_records_a_delivery_change(
    client: FlaskClient, app: Flask
) -> None:
    banner_id = insert_banner(app)
    schedule(app, banner_id, FAR_DAY, "personalized")
    schedule(app, banner_id, FAR_DAY + dt.timedelta(days=4), "mass")

    title_only = client.patch(
        f"/api/v1/banners/{banner_id}", json={"title": "Renamed"}, headers={"If-Match": '"1"'}
    )
    assert title_only.status_code == 200
    assert changes(app) == []

    link = client.patch(
        f"/api/v1/banners/{banner_id}",
        json={"link_url": "https://shop.example.com/new"},
        headers={"If-Match": '"2"'},
    )

    assert link.status_code == 200
    assert changes(app) == [("mass,personalized", FAR_DAY, FAR_DAY + dt.timedelta(days=4), "banner_updated")]


def test_replacing_the_image_of_a_scheduled_banner_records_a_delivery_change(
    client: FlaskClient, app: Flask
) -> None:
    banner_id = register_banner(client).get_json()["id"]
    schedule(app, banner_id, FAR_DAY, "mass")

    response = client.patch(
        f"/api/v1/banners/{banner_id}",
        data={"image": (io.BytesIO(image_bytes("PNG", 200, 50)), "new.png")},
        content_type="multipart/form-data",
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert changes(app) == [("mass", FAR_DAY, FAR_DAY, "banner_updated")]


# --- archiving -----------------------------------------------------------------------------------


def test_archiving_a_banner_scheduled_today_or_later_is_refused_naming_the_dates(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    today = today_in(settings.tz)
    banner_id = insert_banner(app)
    schedule(app, banner_id, today, "personalized")
    schedule(app, banner_id, FAR_DAY, "mass")

    response = client.delete(f"/api/v1/banners/{banner_id}")

    assert response.status_code == 409
    message = response.get_json()["message"]
    assert f"2 upcoming day(s): {today.isoformat()}, {FAR_DAY.isoformat()}" in message
    assert "force=true" in message
    assert banner_rows(app)[0].archived is False
    assert entries_of(app, today) == [(banner_id, 1)]


def test_forced_archiving_removes_upcoming_entries_and_renumbers_their_days(
    client: FlaskClient, app: Flask, settings: Settings
) -> None:
    today = today_in(settings.tz)
    past = today - dt.timedelta(days=3)
    first, doomed, last = (
        insert_banner(app, title="A"),
        insert_banner(app, title="B"),
        insert_banner(app, title="C"),
    )
    for position, banner_id in enumerate((first, doomed, last), start=1):
        schedule(app, banner_id, FAR_DAY, "personalized", position)
    schedule(app, doomed, past, "personalized", 1)

    response = client.delete(f"/api/v1/banners/{doomed}?force=true")

    assert response.status_code == 200
    assert response.get_json()["archived"] is True
    assert response.get_json()["archived_at"] is not None
    assert entries_of(app, FAR_DAY) == [(first, 1), (last, 2)]
    assert entries_of(app, past) == [(doomed, 1)]  # history stays
    assert changes(app) == [("personalized", FAR_DAY, FAR_DAY, "banner_archived")]
    with session_of(app) as session:
        assert session.get(ScheduleDay, (FAR_DAY, "personalized")) is not None


def test_archiving_an_unscheduled_banner_is_idempotent_and_restore_brings_it_back(
    client: FlaskClient, app: Flask
) -> None:
    banner_id = insert_banner(app)

    first = client.delete(f"/api/v1/banners/{banner_id}")
    again = client.delete(f"/api/v1/banners/{banner_id}")

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.get_json()["archived"] is again.get_json()["archived"] is True
    assert first.headers["ETag"] == again.headers["ETag"] == '"2"'
    assert client.get("/api/v1/banners").get_json()["total"] == 0

    restored = client.post(f"/api/v1/banners/{banner_id}/restore")

    assert restored.status_code == 200
    assert (restored.get_json()["archived"], restored.get_json()["archived_at"]) == (False, None)
    [row] = banner_rows(app)
    assert row.archived is False
    assert client.get("/api/v1/banners").get_json()["total"] == 1


def test_archiving_or_restoring_a_missing_banner_is_a_404(client: FlaskClient) -> None:
    assert client.delete("/api/v1/banners/404").status_code == 404
    assert client.post("/api/v1/banners/404/restore").status_code == 404


# --- searching -----------------------------------------------------------------------------------


def listed(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/banners?{query}")
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def test_free_text_search_matches_title_or_link_in_any_case(client: FlaskClient, app: Flask) -> None:
    insert_banner(app, title="Winter SALE", link_url="https://shop.example.com/a")
    insert_banner(app, title="Spring fair", link_url="https://shop.example.com/sale-spring")
    insert_banner(app, title="Autumn", link_url="https://shop.example.com/autumn")
    insert_banner(app, title="100% off", link_url="https://shop.example.com/b")

    assert sorted(listed(client, "q=sale")) == ["Spring fair", "Winter SALE"]
    assert listed(client, "q=SPRING%20sale") == ["Spring fair"]
    assert listed(client, "q=100%25") == ["100% off"]
    assert listed(client, "q=%25") == ["100% off"]  # a wildcard character is searched for literally


def test_campaign_type_and_archived_filters(client: FlaskClient, app: Flask) -> None:
    insert_banner(app, title="Sale live", campaign_type="sale")
    insert_banner(app, title="Event live", campaign_type="event")
    insert_banner(app, title="Sale archived", campaign_type="sale", archived=True)

    assert listed(client, "campaign_type=sale") == ["Sale live"]
    assert listed(client, "archived=true") == ["Sale archived"]
    assert sorted(listed(client, "archived=all&campaign_type=sale")) == ["Sale archived", "Sale live"]
    assert sorted(listed(client)) == ["Event live", "Sale live"]


def test_scheduled_range_filter_finds_banners_with_an_entry_in_the_range(
    client: FlaskClient, app: Flask
) -> None:
    early, late = insert_banner(app, title="Early"), insert_banner(app, title="Late")
    insert_banner(app, title="Never")
    schedule(app, early, dt.date(2030, 1, 10), "personalized")
    schedule(app, late, dt.date(2030, 1, 20), "mass")

    assert listed(client, "scheduled_from=2030-01-01&scheduled_to=2030-01-10") == ["Early"]
    assert listed(client, "scheduled_from=2030-01-11&scheduled_to=2030-01-20") == ["Late"]
    assert sorted(listed(client, "scheduled_from=2030-01-01")) == ["Early", "Late"]
    assert listed(client, "scheduled_to=2030-01-19") == ["Early"]
    assert listed(client, "scheduled_from=2030-01-01&target=mass") == ["Late"]
    assert listed(client, "target=personalized") == ["Early"]
    assert listed(client, "scheduled_from=2030-01-11&scheduled_to=2030-01-19") == []


def test_pages_are_sorted_and_report_the_total(client: FlaskClient, app: Flask) -> None:
    for title in ("Delta", "alpha", "Echo", "charlie", "Bravo"):
        insert_banner(app, title=title)

    response = client.get("/api/v1/banners?sort=title&limit=2&offset=2")

    body = response.get_json()
    assert [item["title"] for item in body["items"]] == ["charlie", "Delta"]
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)
    assert listed(client, "sort=-title&limit=2") == ["Echo", "Delta"]
    assert listed(client, "sort=id") == ["Delta", "alpha", "Echo", "charlie", "Bravo"]
    assert listed(client, "sort=-id&offset=4") == ["Delta"]


def test_the_default_order_is_newest_first_with_ties_broken_by_id(client: FlaskClient, app: Flask) -> None:
    moment = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)
    insert_banner(app, title="Old", created_at=moment - dt.timedelta(days=1))
    insert_banner(app, title="Tie 1", created_at=moment)
    insert_banner(app, title="Tie 2", created_at=moment)

    body = client.get("/api/v1/banners").get_json()

    assert [item["title"] for item in body["items"]] == ["Tie 2", "Tie 1", "Old"]
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("offset=-1", "offset"),
        ("sort=colour", "sort"),
        ("archived=maybe", "archived"),
        ("scheduled_from=2030-13-01", "scheduled_from"),
        ("scheduled_from=2030-01-10&scheduled_to=2030-01-01", "scheduled_to"),
        ("campaign_type=spam", "campaign_type"),
        ("target=fax", "target"),
    ],
)
def test_bad_query_values_are_a_422_naming_the_field(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/banners?{query}")

    assert response.status_code == 422
    assert field in field_errors(response, "query")


def test_the_openapi_document_describes_the_multipart_registration(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()

    body = spec["paths"]["/api/v1/banners"]["post"]["requestBody"]["content"]["multipart/form-data"]
    schema_name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][schema_name]["properties"]
    assert set(properties) >= {"image", "title", "link_url", "campaign_type", "notes"}
    assert properties["image"]["format"] == "binary"
