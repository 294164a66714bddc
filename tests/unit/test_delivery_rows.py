"""The one derivation of delivery rows: order, priority conventions, day bounds across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from banner_common.delivery import DayWindow, PriorityOrder, ScheduledBanner, derive_rows

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
DAY = dt.date(2026, 12, 3)


def _entry(position: int, name: str, day: dt.date = DAY) -> ScheduledBanner:
    return ScheduledBanner(day, position, f"https://img.test/{name}.png", f"https://shop.test/{name}")


def test_rows_follow_positions_with_priority_one_at_the_top() -> None:
    rows = derive_rows([_entry(2, "b"), _entry(1, "a"), _entry(3, "c")], TOKYO)
    assert [(r.priority, r.link_url) for r in rows] == [
        (1, "https://shop.test/a"),
        (2, "https://shop.test/b"),
        (3, "https://shop.test/c"),
    ]


def test_larger_is_top_convention_gives_the_top_banner_the_largest_priority() -> None:
    rows = derive_rows([_entry(1, "a"), _entry(2, "b"), _entry(3, "c")], TOKYO, PriorityOrder.LARGER_IS_TOP)
    assert [(r.priority, r.link_url.rsplit("/", 1)[1]) for r in rows] == [(3, "a"), (2, "b"), (1, "c")]


def test_gaps_in_positions_never_reach_a_target() -> None:
    rows = derive_rows([_entry(2, "a"), _entry(7, "b")], TOKYO)
    assert [r.priority for r in rows] == [1, 2]


def test_each_row_is_displayed_from_local_midnight_to_the_next() -> None:
    (row,) = derive_rows([_entry(1, "a")], TOKYO)
    assert row.start_at == dt.datetime(2026, 12, 3, tzinfo=TOKYO)
    assert row.end_at == dt.datetime(2026, 12, 4, tzinfo=TOKYO)
    assert row.start_at.astimezone(dt.UTC) == dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(dt.date(2026, 3, 8), 23), (dt.date(2026, 11, 1), 25), (dt.date(2026, 11, 2), 24)],
)
def test_days_across_daylight_saving_changes_last_their_real_length(day: dt.date, hours: int) -> None:
    (row,) = derive_rows([_entry(1, "a", day)], NEW_YORK)
    length = row.end_at.astimezone(dt.UTC) - row.start_at.astimezone(dt.UTC)
    assert length == dt.timedelta(hours=hours)


def test_days_are_numbered_independently() -> None:
    other = DAY + dt.timedelta(days=1)
    rows = derive_rows([_entry(1, "a"), _entry(1, "b", other), _entry(2, "c", other)], TOKYO)
    assert [(r.start_at.date(), r.priority) for r in rows] == [(DAY, 1), (other, 1), (other, 2)]


def test_window_around_today_is_inclusive_and_bounds_use_local_midnights() -> None:
    window = DayWindow.around(DAY, days_back=2, days_ahead=3)
    assert min(window.days()) == dt.date(2026, 12, 1)
    assert len(window) == 6
    start, end = window.bounds(TOKYO)
    assert start == dt.datetime(2026, 12, 1, tzinfo=TOKYO)
    assert end == dt.datetime(2026, 12, 7, tzinfo=TOKYO)


def test_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        DayWindow(DAY, DAY - dt.timedelta(days=1))
