"""Priority order and datetime storage conventions, including a window across a daylight-saving change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import pytest

from banner_common.delivery import PriorityOrder
from banner_common.settings import Settings
from banner_common.targets import DatetimeStorage
from sync_worker.reconcile import Outcome, RunResult
from tests.integration.sync.conftest import LegacyTarget, Planner
from tests.integration.sync.scenario import DAY1, DAY2, LAST, plan_standard, row

Run = Callable[..., RunResult]
BACKENDS = pytest.mark.parametrize("legacy", ["postgresql", "mariadb", "sqlite"], indirect=True)


@BACKENDS
def test_larger_is_top_gives_the_top_banner_the_largest_priority(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    ids = plan_standard(planner)
    c = ids["c"]
    planner.schedule(DAY1, ids["a"], ids["b"], c)
    planner.resume()

    result = run(legacy.spec(priority_order=PriorityOrder.LARGER_IS_TOP), legacy.engine)

    assert result.outcome is Outcome.SWAPPED, result.error
    assert legacy.delivery_rows() == sorted(
        [row("a", 3, DAY1), row("b", 2, DAY1), row("c", 1, DAY1), row("c", 1, DAY2), row("a", 1, LAST)],
        key=repr,
    )


@BACKENDS
def test_naive_utc_storage_shifts_rows_window_and_swap_time_to_utc(
    legacy: LegacyTarget, planner: Planner, run: Run
) -> None:
    a = planner.banner("a")
    planner.schedule(DAY1, a)
    planner.resume()
    window_start_utc = dt.datetime(2026, 11, 20, 15, 0)  # Tokyo midnight of DAY1
    legacy.add_row(
        "before", "https://shop.test/before", 1, window_start_utc - dt.timedelta(hours=1), window_start_utc
    )
    legacy.add_row(
        "stale", "https://shop.test/stale", 1, window_start_utc, window_start_utc + dt.timedelta(days=1)
    )

    spec = legacy.spec(datetime_storage=DatetimeStorage.NAIVE_UTC, max_delete_share=1.0)
    result = run(spec, legacy.engine)

    assert result.outcome is Outcome.SWAPPED, result.error
    images = {r[0]: r for r in legacy.rows()}
    assert set(images) == {"before", "https://img.test/a.png"}
    written = images["https://img.test/a.png"]
    assert written[3:5] == (window_start_utc, window_start_utc + dt.timedelta(days=1))
    assert written[6] == dt.datetime(2026, 11, 22, 3, 0)  # NOW in UTC


@BACKENDS
@pytest.mark.parametrize(
    ("storage", "day_start", "day_end", "after_start"),
    [
        # 2026-03-08 has 23 hours in New York: it starts at 05:00 UTC and ends at 04:00 UTC the next day.
        (
            DatetimeStorage.NAIVE_UTC,
            dt.datetime(2026, 3, 8, 5),
            dt.datetime(2026, 3, 9, 4),
            dt.datetime(2026, 3, 9, 4),
        ),
        (
            DatetimeStorage.NAIVE_LOCAL,
            dt.datetime(2026, 3, 8),
            dt.datetime(2026, 3, 9),
            dt.datetime(2026, 3, 9),
        ),
    ],
)
def test_window_of_a_daylight_saving_day_covers_exactly_that_day(
    legacy: LegacyTarget,
    planner: Planner,
    run: Run,
    settings: Settings,
    storage: DatetimeStorage,
    day_start: dt.datetime,
    day_end: dt.datetime,
    after_start: dt.datetime,
) -> None:
    new_york = replace(settings, timezone="America/New_York")
    dst_day = dt.date(2026, 3, 8)
    a, b, c = (planner.banner(n) for n in "abc")
    planner.schedule(dst_day - dt.timedelta(days=1), c)
    planner.schedule(dst_day, a)
    planner.schedule(dst_day + dt.timedelta(days=1), b)
    planner.resume()
    second = dt.timedelta(seconds=1)
    legacy.add_row("prev", "https://shop.test/prev", 1, day_start - second, day_start)
    legacy.add_row("next", "https://shop.test/next", 1, after_start, after_start + dt.timedelta(hours=24))
    legacy.add_row("stale", "https://shop.test/stale", 1, day_end - second, day_end)
    spec = legacy.spec(
        datetime_storage=storage, window_days_back=0, window_days_ahead=0, max_delete_share=1.0
    )

    result = run(spec, legacy.engine, settings=new_york, now=dt.datetime(2026, 3, 8, 17, 0, tzinfo=dt.UTC))

    assert result.outcome is Outcome.SWAPPED, result.error
    assert (result.rows_deleted, result.rows_inserted) == (1, 1)
    by_image = {r[0]: r[3:5] for r in legacy.rows()}
    assert by_image == {
        "prev": (day_start - second, day_start),
        "next": (after_start, after_start + dt.timedelta(hours=24)),
        "https://img.test/a.png": (day_start, day_end),
    }
