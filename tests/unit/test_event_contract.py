"""The change event survives the trip through JSON and refuses messages that break the contract."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from banner_common.events import EventFormatError, ScheduleChanged


def test_event_round_trips_through_json() -> None:
    event = ScheduleChanged(
        targets=("mass", "personalized"),
        first_day=dt.date(2026, 12, 1),
        last_day=dt.date(2026, 12, 3),
        change_id=42,
        committed_at=dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC),
        request_id="req-7",
    )
    assert ScheduleChanged.from_message(json.loads(json.dumps(event.to_message()))) == event


def test_an_event_from_before_request_ids_still_parses() -> None:
    message = {
        "targets": ["mass"],
        "first_day": "2026-12-01",
        "last_day": "2026-12-01",
        "change_id": 1,
        "committed_at": "2026-11-22T00:00:00+00:00",
    }
    assert ScheduleChanged.from_message(message).request_id is None


@pytest.mark.parametrize(
    "message",
    [
        {},
        {
            "targets": "mass",
            "first_day": "2026-12-01",
            "last_day": "2026-12-01",
            "committed_at": "2026-11-22T00:00:00+00:00",
        },
        {
            "targets": ["mass"],
            "first_day": "12/01",
            "last_day": "2026-12-01",
            "committed_at": "2026-11-22T00:00:00+00:00",
        },
    ],
)
def test_malformed_messages_are_refused(message: dict[str, object]) -> None:
    with pytest.raises(EventFormatError):
        ScheduleChanged.from_message(message)
