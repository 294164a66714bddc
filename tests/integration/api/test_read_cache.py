"""Read answers reused until a banner, an entry or a day changes, whoever changes it."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from banner_common import metrics as names
from banner_common.models import Banner, ContentVersion, ScheduleDay
from tests.factories import (
    banner_values,
    empty_postgres_banner_database,
    insert_banner,
    recorded_statements,
    user_client,
)

DAY = dt.date(2030, 6, 3)
CALENDAR = "/api/v1/calendar?month=2030-06&target=mass"
DAY_VIEW = f"/api/v1/schedule/days/{DAY}?target=mass"


def place(client: FlaskClient, banner_id: int, day: dt.date = DAY) -> None:
    response = client.post(
        "/api/v1/schedule", json={"banner_id": banner_id, "start_date": str(day), "targets": ["mass"]}
    )
    assert response.status_code == 201, response.get_json()


def titles(client: FlaskClient, path: str = DAY_VIEW) -> list[str]:
    body = client.get(path).get_json()
    return [entry["banner"]["title"] for entry in body["entries"]]


def version(app: Flask) -> int:
    with app.extensions["mailbanner"].session_factory() as session:
        return int(session.scalar(sa.select(ContentVersion.version)) or 0)


@pytest.mark.parametrize("path", [CALENDAR, DAY_VIEW, "/api/v1/banners?q=Spring"])
def test_a_repeated_read_is_answered_from_one_small_query(app: Flask, client: FlaskClient, path: str) -> None:
    place(client, insert_banner(app, title="Spring"))
    first = client.get(path)

    with recorded_statements(app.extensions["mailbanner"].engine) as sent:
        again = client.get(path)

    assert again.status_code == 200
    assert again.get_data() == first.get_data()
    assert again.headers.get("ETag") == first.headers.get("ETag")
    assert len(sent) == 1
    assert "content_version" in sent[0]


def test_hits_and_misses_are_counted_for_operators(app: Flask, client: FlaskClient) -> None:
    def lookups(result: str) -> float:
        return REGISTRY.get_sample_value(f"{names.READ_CACHE_LOOKUPS}_total", {"result": result}) or 0.0

    place(client, insert_banner(app, title="Spring"))
    hits, misses = lookups("hit"), lookups("miss")

    client.get(DAY_VIEW)
    client.get(DAY_VIEW)
    place(client, insert_banner(app, title="Sale"))
    client.get(DAY_VIEW)

    assert (lookups("hit") - hits, lookups("miss") - misses) == (1, 2)


def test_a_change_through_the_api_shows_in_the_next_read(app: Flask, client: FlaskClient) -> None:
    place(client, insert_banner(app, title="Spring"))
    assert titles(client) == ["Spring"]
    etag = client.get(DAY_VIEW).headers["ETag"]

    place(client, insert_banner(app, title="Sale"))

    assert titles(client) == ["Spring", "Sale"]
    assert client.get(DAY_VIEW).headers["ETag"] != etag


def test_changes_written_outside_the_api_show_in_the_next_read(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app, title="Spring")
    place(client, banner)
    assert titles(client) == ["Spring"]
    assert client.get(CALENDAR).status_code == 200  # kept too
    # Another program (an operator's SQL, an import) writes straight to the banner database.
    other = sa.create_engine(app.extensions["mailbanner"].settings.database_url)
    try:
        with other.begin() as conn:
            conn.execute(sa.text("UPDATE banners SET title = 'Renamed' WHERE id = :id"), {"id": banner})
        assert titles(client) == ["Renamed"]
        with other.begin() as conn:
            conn.execute(sa.text("DELETE FROM schedule_entries"))
        assert titles(client) == []
        calendar = client.get(CALENDAR).get_json()
        assert all(day["entries"] == [] for day in calendar["days"])
    finally:
        other.dispose()


def test_callers_who_see_different_campaign_types_get_their_own_answers(
    app: Flask, client: FlaskClient
) -> None:
    insert_banner(app, title="Spring sale", campaign_type="sale")
    insert_banner(app, title="Spring event", campaign_type="event")
    events_only = user_client(app, "eve", ["viewer"], campaign_types=["event"])
    path = "/api/v1/banners?q=Spring&sort=title"

    everything = [b["title"] for b in client.get(path).get_json()["items"]]
    scoped = [b["title"] for b in events_only.get(path).get_json()["items"]]

    assert everything == ["Spring event", "Spring sale"]
    assert scoped == ["Spring event"]


def test_every_committed_write_moves_the_content_version(app: Flask, client: FlaskClient) -> None:
    before = version(app)
    banner = insert_banner(app)
    after_insert = version(app)
    place(client, banner)
    after_place = version(app)

    assert before < after_insert < after_place
    if app.extensions["mailbanner"].engine.dialect.name == "postgresql":
        assert after_insert == before + 1  # once per transaction, at its commit


def test_an_open_writing_transaction_does_not_hold_up_another_writers_commit(
    postgres_schema_url: str,
) -> None:
    # PostgreSQL moves the version at commit: were the row locked at the first write, `quick` would wait
    # for `held` (and, with day rows locked the other way round, deadlock).
    empty_postgres_banner_database(postgres_schema_url)
    engine = sa.create_engine(postgres_schema_url)
    try:
        before = current_version(engine)
        with Session(engine) as held:
            held.add(Banner(**banner_values(title="First")))
            held.flush()  # written, not committed
            with Session(engine) as quick:
                quick.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                quick.add(ScheduleDay(date=DAY, target="mass", version=1))
                quick.commit()
            assert current_version(engine) == before + 1
            held.commit()
        assert current_version(engine) == before + 2
    finally:
        engine.dispose()


def current_version(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(ContentVersion.version)) or 0)
