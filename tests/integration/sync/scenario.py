"""The standard schedule of the sync tests and the rows it must produce in a naive-local Tokyo target."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.integration.sync.conftest import Planner

DAY1 = dt.date(2026, 11, 21)  # first day of the window
DAY2 = dt.date(2026, 11, 22)  # today
DAY3 = dt.date(2026, 11, 23)
LAST = dt.date(2026, 11, 25)  # last day of the window
AFTER = dt.date(2026, 11, 27)  # outside the window
SWAPPED_AT = dt.datetime(2026, 11, 22, 12, 0)  # NOW as Tokyo wall time
OUTSIDE_ROW = (
    "https://img.test/old.png",
    "https://shop.test/old",
    1,
    dt.datetime(2020, 1, 1),
    dt.datetime(2020, 1, 2),
)
OUTSIDE_FULL_ROW = (*OUTSIDE_ROW, "legacy", dt.datetime(2020, 1, 1))


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def row(name: str, priority: int, day: dt.date) -> tuple[Any, ...]:
    """A delivery row of banner `name` for `day` as a naive-local target stores it."""
    return (
        f"https://img.test/{name}.png",
        f"https://shop.test/{name}",
        priority,
        midnight(day),
        midnight(day + dt.timedelta(days=1)),
    )


def plan_standard(planner: Planner) -> dict[str, int]:
    """Banners a, b, c scheduled in and around the window; returns their ids."""
    ids = {name: planner.banner(name) for name in ("a", "b", "c")}
    planner.schedule(DAY1, ids["a"], ids["b"])
    planner.schedule(DAY2, ids["c"])
    planner.schedule(LAST, ids["a"])
    planner.schedule(AFTER, ids["b"])
    return ids


STANDARD_ROWS = [row("a", 1, DAY1), row("b", 2, DAY1), row("c", 1, DAY2), row("a", 1, LAST)]


def full(rows: list[tuple[Any, ...]], swapped_at: dt.datetime = SWAPPED_AT) -> list[tuple[Any, ...]]:
    """Delivery rows as the worker writes them (constant UPD_USER, UPD_DT the swap's time), sorted."""
    return sorted(((*r, "mailbanner", swapped_at) for r in rows), key=repr)


def table_after_swap(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted([*full(rows), OUTSIDE_FULL_ROW], key=repr)
