"""import-legacy on a real SQLite legacy table: dry run, --since, the priority convention, widened rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from banner_common.delivery import PriorityOrder
from banner_common.models import Banner, ScheduleChange, ScheduleDay, ScheduleEntry
from banner_common.settings import Settings
from banner_common.targets import TargetSpec
from sync_worker.dialects import dialect_for
from sync_worker.legacy_import import TITLE_PREFIX, ImportReport, ImportRules, import_legacy
from sync_worker.target_table import TargetTable
from tests.integration.cutover.conftest import (
    GOOD_BANNERS,
    GOOD_ENTRIES,
    NOW,
    TARGET,
    LegacyDb,
    Seed,
    day,
    midnight,
)


def _import(
    legacy: LegacyDb,
    sessions: sessionmaker[Session],
    settings: Settings,
    spec: TargetSpec | None = None,
    *,
    since: dt.date | None = None,
    dry_run: bool = False,
) -> ImportReport:
    target = TargetTable.for_spec(spec or legacy.spec(), settings.tz, dialect_for(legacy.url))
    rules = ImportRules(
        target, settings.link_max_length, settings.link_allowed_hosts, since, settings.max_banners_per_day
    )
    return import_legacy(
        legacy.engine, sessions, rules, campaign_type="sale", actor="test", now=NOW, dry_run=dry_run
    )


def _entries(sessions: sessionmaker[Session], on: dt.date) -> list[tuple[str, int]]:
    with sessions() as session:
        rows = session.execute(
            sa.select(Banner.image_url, ScheduleEntry.position)
            .join(Banner)
            .where(ScheduleEntry.date == on, ScheduleEntry.target == TARGET)
            .order_by(ScheduleEntry.position)
        )
        return [(image.rsplit("/", 1)[1], position) for image, position in rows]


def _count(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _planned_by_hand(sessions: sessionmaker[Session], on: dt.date) -> None:
    """A planner's own banner on that day, before any import."""
    with sessions() as session:
        mine = Banner(
            title="planned", image_url="https://img.test/planned.png", image_key=None, image_width=1,
            image_height=1, image_content_type="image/png", image_bytes=1, link_url="https://shop.test/p",
            campaign_type="sale", notes="", archived=False,
        )  # fmt: skip
        session.add(mine)
        session.flush()
        session.add(ScheduleEntry(banner_id=mine.id, date=on, target=TARGET, position=1))
        session.commit()


def test_dry_run_counts_what_an_import_would_add_and_writes_nothing(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    dry = _import(sqlite_legacy, banner_sessions, settings, dry_run=True)

    assert (dry.banners_created, dry.entries_created) == (GOOD_BANNERS, GOOD_ENTRIES)
    assert dry.change_id is None
    for model in (Banner, ScheduleEntry, ScheduleDay, ScheduleChange):
        assert _count(banner_sessions, model) == 0
    real = _import(sqlite_legacy, banner_sessions, settings)
    assert real.summary() == dry.summary()


def test_imported_banners_are_marked_external_and_their_entries_arrive_approved(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    _import(sqlite_legacy, banner_sessions, settings)

    with banner_sessions() as session:
        week = session.scalars(sa.select(Banner).where(Banner.image_url == "https://img.test/week.gif")).one()
        assert week.title == f"{TITLE_PREFIX}week.gif → shop.test"
        assert "import-legacy" in week.notes
        assert (week.image_key, week.image_width, week.image_height) == (None, 0, 0)
        assert week.image_content_type == "image/gif"
        assert week.campaign_type == "sale"
        assert week.source == "imported"
        entry = session.scalars(sa.select(ScheduleEntry).where(ScheduleEntry.banner_id == week.id)).first()
        assert entry is not None
        assert (entry.approval, entry.approved_position) == ("approved", entry.position)
        assert entry.approved_link_url == "https://shop.test/week"
        assert session.get_one(ScheduleDay, (day(23), TARGET)).version == 1


def test_positions_follow_the_legacy_priority_in_each_convention(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    larger_is_top = sqlite_legacy.spec(priority_order=PriorityOrder.LARGER_IS_TOP)

    _import(sqlite_legacy, banner_sessions, settings, spec=larger_is_top)

    # Legacy priorities on the 23rd: spring 1, sale 2, news 3, week 9; the largest is on top here.
    assert _entries(banner_sessions, day(23)) == [
        ("week.gif", 1),
        ("news.png", 2),
        ("sale.png", 3),
        ("spring.png", 4),
    ]


def test_since_imports_only_the_days_from_that_date(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    report = _import(sqlite_legacy, banner_sessions, settings, since=day(26))

    with banner_sessions() as session:
        days = sorted(set(session.scalars(sa.select(ScheduleEntry.date))))
    assert days == [day(n) for n in range(26, 31)]
    assert (report.first_day, report.last_day) == (day(26), day(30))
    # The week row started on the 23rd: only its days from the 26th are imported.
    assert _entries(banner_sessions, day(26)) == [("spring.png", 1), ("sale.png", 2), ("week.gif", 3)]


def test_a_partial_day_row_is_widened_to_whole_days_and_counted(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    morning = dt.datetime(2026, 12, 5, 6, 0)
    sqlite_legacy.seed(
        [
            Seed(
                "https://img.test/flash.png",
                "https://shop.test/flash",
                1,
                morning,
                midnight(dt.date(2026, 12, 7)),
            )
        ]
    )

    report = _import(sqlite_legacy, banner_sessions, settings)

    assert report.rows_widened == 1
    assert _entries(banner_sessions, dt.date(2026, 12, 5)) == [("flash.png", 1)]
    assert _entries(banner_sessions, dt.date(2026, 12, 6)) == [("flash.png", 1)]


def test_a_day_a_planner_already_scheduled_is_left_as_it_is(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    _planned_by_hand(banner_sessions, day(22))

    report = _import(sqlite_legacy, banner_sessions, settings)

    assert report.days_already_planned == 1
    assert _entries(banner_sessions, day(22)) == [("planned.png", 1)]
    assert _entries(banner_sessions, day(21)) == [("spring.png", 1), ("sale.png", 2), ("news.png", 3)]


def test_days_over_the_banner_limit_are_imported_as_delivered_and_reported(
    sqlite_legacy: LegacyDb, banner_sessions: sessionmaker[Session], settings: Settings
) -> None:
    _planned_by_hand(banner_sessions, day(25))

    report = _import(sqlite_legacy, banner_sessions, replace(settings, max_banners_per_day=3))

    # Days 23-25 deliver spring, sale, news and the week banner; day 25 is the planner's already.
    assert report.days_over_limit == [(day(23), 4), (day(24), 4)]
    assert report.summary()["days_over_limit"] == 2
    assert [image for image, _ in _entries(banner_sessions, day(24))] == [
        "spring.png", "sale.png", "news.png", "week.gif",
    ]  # fmt: skip
