"""Mapping one legacy row: the days it covers, in the target's time convention, or why it is skipped."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from banner_common.targets import DatetimeStorage, TargetSpec
from sync_worker.dialects import dialect_for
from sync_worker.legacy_import import (
    ImportReport,
    ImportRules,
    MappedRow,
    _UrlChecks,
    content_type_of,
    derive_title,
    map_row,
    plan_days,
)
from sync_worker.target_table import TargetTable

TOKYO = ZoneInfo("Asia/Tokyo")
IMAGE, LINK = "https://img.test/a.png", "https://shop.test/a"


def _rules(storage: DatetimeStorage = DatetimeStorage.NAIVE_LOCAL, **overrides: Any) -> ImportRules:
    spec = TargetSpec(name="mass", url="sqlite://", table="T", datetime_storage=storage)
    target = TargetTable.for_spec(spec, TOKYO, dialect_for("sqlite://"))
    values: dict[str, Any] = {"link_max_length": 2048, "allowed_hosts": ()}
    values.update(overrides)
    return ImportRules(target, **values)


def _map(values: tuple[Any, ...], rules: ImportRules | None = None) -> MappedRow | str | None:
    rules = rules or _rules()
    return map_row(values, rules, _UrlChecks(rules))


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour)


def test_a_whole_day_row_maps_to_that_day() -> None:
    assert _map((IMAGE, LINK, 2, at(22), at(23))) == MappedRow(
        IMAGE, LINK, 2, at(22).date(), at(22).date(), False
    )


def test_a_naive_utc_target_row_maps_to_business_days() -> None:
    # 2026-11-21 15:00 UTC is midnight of the 22nd in Tokyo.
    mapped = _map((IMAGE, LINK, 1, at(21, 15), at(23, 15)), _rules(DatetimeStorage.NAIVE_UTC))

    assert mapped == MappedRow(IMAGE, LINK, 1, at(22).date(), at(23).date(), False)


def test_a_decimal_priority_from_db2_is_accepted() -> None:
    mapped = _map((IMAGE, LINK, decimal.Decimal("3"), at(22), at(23)))

    assert isinstance(mapped, MappedRow)
    assert mapped.priority == 3


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ((IMAGE, "javascript:alert(1)", 1, at(22), at(23)), "link URL: the link must start with http"),
        (("/img/a.png", LINK, 1, at(22), at(23)), "image URL: the link must be absolute"),
        ((IMAGE, LINK + "x" * 3000, 1, at(22), at(23)), "link URL: the link is 3019 characters long"),
        ((IMAGE, LINK, 1, at(23), at(22)), "ends (2026-11-22 00:00:00) before or when it starts"),
        ((IMAGE, LINK, 1, at(22), at(22)), "ends (2026-11-22 00:00:00) before or when it starts (2026-11-22"),
        ((IMAGE, LINK, 1.5, at(22), at(23)), "priority 1.5 is not a whole number"),
        ((IMAGE, None, 1, at(22), at(23)), "link URL is empty"),
        ((IMAGE, LINK, 1, "tomorrow", at(23)), "start 'tomorrow' is not a date-time"),
        ((IMAGE, LINK, 1, at(22), dt.datetime(2030, 1, 1)), "covers 1136 days"),
    ],
)
def test_an_unmappable_row_gives_the_reason(values: tuple[Any, ...], reason: str) -> None:
    mapped = _map(values)

    assert isinstance(mapped, str)
    assert mapped.startswith(reason)


def test_the_link_host_rule_of_the_settings_applies() -> None:
    mapped = _map((IMAGE, LINK, 1, at(22), at(23)), _rules(allowed_hosts=("example.com",)))

    assert isinstance(mapped, str)
    assert "links may only point to example.com" in mapped


def test_a_row_ending_before_since_is_skipped_without_a_reason() -> None:
    assert _map((IMAGE, LINK, 1, at(20), at(21)), _rules(since=at(22).date())) is None


def test_plan_orders_each_day_by_priority_and_merges_a_repeated_banner() -> None:
    report = ImportReport(target="mass", dry_run=True)
    rows = [
        ("https://img.test/b.png", LINK, 2, at(22), at(23)),
        (IMAGE, LINK, 1, at(22), at(24)),
        (IMAGE, LINK, 5, at(22), at(23)),
        ("bad", LINK, 1, at(22), at(23)),
    ]

    plans = plan_days(rows, _rules(), report)

    assert [(p.day.day, [image[-5:] for image, _ in p.banners]) for p in plans] == [
        (22, ["a.png", "b.png"]),
        (23, ["a.png"]),
    ]
    assert report.duplicates == 1
    assert [(r.number, r.reason[:10]) for r in report.rejected] == [(4, "image URL:")]


def test_title_and_content_type_are_derived_from_the_urls() -> None:
    assert derive_title("https://img.test/x/Spring.JPG?v=2", LINK) == "[imported] Spring.JPG → shop.test"
    assert content_type_of("https://img.test/x/Spring.JPG?v=2") == "image/jpeg"
    assert content_type_of("https://img.test/banner") == "application/octet-stream"
