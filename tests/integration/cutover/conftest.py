"""Legacy delivery tables seeded with realistic rows and a few bad ones: PostgreSQL, MariaDB, SQLite."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from banner_common.db import make_engine, make_session_factory
from banner_common.targets import ColumnMap, TargetSpec
from sync_worker.bootstrap import make_target_engine
from sync_worker.dialects import dialect_for
from tests.conftest import MARIADB_URL, POSTGRES_URL

TARGET = "personalized"
# 12:00 in Tokyo on 2026-11-22; the spec's window is 2026-11-21 .. 2026-11-25.
NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)
COLUMNS = ColumnMap("BANNER_IMG_URL", "LINK_URL", "DISP_PRIORITY", "DISP_START_DT", "DISP_END_DT")
LONG_LINK = "https://shop.test/" + "x" * 3000
WRITTEN_COLUMNS = (
    "BANNER_IMG_URL", "LINK_URL", "DISP_PRIORITY", "DISP_START_DT", "DISP_END_DT", "UPD_USER", "UPD_DT",
)  # fmt: skip


def _ddl(qualified: str, serial: str, datetime: str) -> str:
    # Text columns wide enough to hold the overlong values some legacy rows really have.
    return f"""CREATE TABLE {qualified} (
        ID {serial},
        BANNER_IMG_URL varchar(4000) NOT NULL,
        LINK_URL varchar(4000) NOT NULL,
        DISP_PRIORITY integer NOT NULL,
        DISP_START_DT {datetime} NOT NULL,
        DISP_END_DT {datetime} NOT NULL,
        UPD_USER varchar(20) NOT NULL DEFAULT 'legacy',
        UPD_DT {datetime} NOT NULL)"""


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def day(n: int) -> dt.date:
    return dt.date(2026, 11, n)


@dataclass(frozen=True)
class Seed:
    image: str
    link: str
    priority: int
    start: dt.datetime
    end: dt.datetime


def daily(name: str, priority: int, first: dt.date, last: dt.date) -> list[Seed]:
    """One legacy row per day, as the hand-written process made them."""
    days = (last - first).days + 1
    return [
        Seed(
            f"https://img.test/{name}.png",
            f"https://shop.test/{name}",
            priority,
            midnight(first + dt.timedelta(days=i)),
            midnight(first + dt.timedelta(days=i + 1)),
        )
        for i in range(days)
    ]


GOOD_SEEDS: list[Seed] = [
    *daily("spring", 1, day(1), day(30)),
    *daily("sale", 2, day(1), day(30)),
    *daily("news", 3, day(15), day(25)),
    # One row spanning several days, shown below the daily ones.
    Seed("https://img.test/week.gif", "https://shop.test/week", 9, midnight(day(23)), midnight(day(27))),
    # History, long before the window.
    *daily("old", 1, dt.date(2025, 3, 1), dt.date(2025, 3, 10)),
]
BAD_SEEDS: list[tuple[Seed, str]] = [
    (
        Seed("https://img.test/x.png", "javascript:alert(1)", 20, midnight(day(22)), midnight(day(23))),
        "link URL",
    ),
    (Seed("https://img.test/y.png", "https://shop.test/y", 20, midnight(day(23)), midnight(day(22))), "ends"),
    (Seed("https://img.test/z.png", LONG_LINK, 20, midnight(day(24)), midnight(day(25))), "link URL"),
    (Seed("img.test/w.png", "https://shop.test/w", 20, midnight(day(21)), midnight(day(22))), "image URL"),
]
GOOD_BANNERS = 5  # spring, sale, news, week, old
GOOD_ENTRIES = 30 + 30 + 11 + 4 + 10


def desired_in_window(first: dt.date, last: dt.date) -> list[tuple[Any, ...]]:
    """The delivery rows the good seeds stand for in a window: whole days, dense priorities."""
    rows: list[tuple[Any, ...]] = []
    current = first
    while current <= last:
        start, end = midnight(current), midnight(current + dt.timedelta(days=1))
        shown = sorted((s for s in GOOD_SEEDS if s.start <= start and s.end >= end), key=lambda s: s.priority)
        rows.extend((s.image, s.link, rank, start, end) for rank, s in enumerate(shown, start=1))
        current += dt.timedelta(days=1)
    return sorted(rows, key=repr)


@dataclass
class LegacyDb:
    """A seeded legacy table on a real database, and a spec pointing the worker at it."""

    backend: str
    url: str
    schema: str | None
    engine: sa.Engine
    admin: sa.Engine

    def spec(self, **overrides: Any) -> TargetSpec:
        base = TargetSpec(
            name=TARGET,
            url=self.url,
            table="MB_BANNER",
            schema=self.schema,
            columns=COLUMNS,
            constants={"UPD_USER": "mailbanner"},
            now_columns=("UPD_DT",),
            window_days_back=1,
            window_days_ahead=3,
        )
        return replace(base, **overrides)

    def qualified(self, name: str = "MB_BANNER") -> str:
        return f"{self.schema}.{name}" if self.schema else name

    def execute(self, sql: str) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(sql)

    def seed(self, seeds: list[Seed]) -> None:
        name = dialect_for(self.url).identifier
        table = sa.table(
            name("MB_BANNER"), *(sa.column(name(c)) for c in WRITTEN_COLUMNS), schema=self.schema
        )
        rows = [
            {
                name("BANNER_IMG_URL"): s.image,
                name("LINK_URL"): s.link,
                name("DISP_PRIORITY"): s.priority,
                name("DISP_START_DT"): s.start,
                name("DISP_END_DT"): s.end,
                name("UPD_USER"): "legacy",
                name("UPD_DT"): dt.datetime(2026, 10, 1, 9, 30, 15),
            }
            for s in seeds
        ]
        with self.engine.begin() as conn:
            conn.execute(sa.insert(table), rows)

    def all_rows(self, name: str = "MB_BANNER") -> list[tuple[Any, ...]]:
        """Every column of every row, by ID: what "byte for byte the same table" is compared on."""
        with self.engine.connect() as conn:
            return [
                tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {self.qualified(name)} ORDER BY 1")
            ]

    def delivery_rows(self) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT BANNER_IMG_URL, LINK_URL, DISP_PRIORITY, DISP_START_DT, DISP_END_DT "
                f"FROM {self.qualified()}"
            )
            return sorted((tuple(r) for r in found), key=repr)

    def table_names(self) -> set[str]:
        return {n.upper() for n in sa.inspect(self.engine).get_table_names(schema=self.schema)}


def _create(backend: str, unique: str, tmp_path: Path) -> tuple[str, str | None, sa.Engine, list[str]]:
    """(url, schema, admin engine, drop statements) after creating the seeded table's home and table."""
    if backend == "postgresql":
        admin = sa.create_engine(POSTGRES_URL)
        setup = [f"CREATE SCHEMA {unique}", _ddl(f"{unique}.MB_BANNER", "serial PRIMARY KEY", "timestamp")]
        setup.append(f"CREATE INDEX ix_mb_banner_start ON {unique}.MB_BANNER (DISP_START_DT, DISP_PRIORITY)")
        url, schema, drop = POSTGRES_URL, unique, [f'DROP SCHEMA "{unique}" CASCADE']
    elif backend == "mariadb":
        admin = sa.create_engine(MARIADB_URL)
        setup = [
            f"CREATE DATABASE `{unique}`",
            _ddl(f"`{unique}`.MB_BANNER", "int AUTO_INCREMENT PRIMARY KEY", "datetime"),
        ]
        setup.append(
            f"CREATE INDEX ix_mb_banner_start ON `{unique}`.MB_BANNER (DISP_START_DT, DISP_PRIORITY)"
        )
        url, schema, drop = MARIADB_URL, unique, [f"DROP DATABASE `{unique}`"]
    else:
        url, schema, drop = f"sqlite:///{tmp_path / 'legacy.db'}", None, []
        admin = make_engine(url)
        setup = [_ddl("MB_BANNER", "INTEGER PRIMARY KEY", "DATETIME")]
        setup.append("CREATE INDEX ix_mb_banner_start ON MB_BANNER (DISP_START_DT, DISP_PRIORITY)")
    with admin.begin() as conn:
        for statement in setup:
            conn.exec_driver_sql(statement)
    return url, schema, admin, drop


def _legacy(backend: str, tmp_path: Path) -> Iterator[LegacyDb]:
    unique = f"mb_cut_{uuid.uuid4().hex[:10]}"
    url, schema, admin, drop = _create(backend, unique, tmp_path)
    engine = make_target_engine(TargetSpec(name=TARGET, url=url, table="MB_BANNER", schema=schema))
    legacy = LegacyDb(backend, url, schema, engine, admin)
    legacy.seed([*GOOD_SEEDS, *(seed for seed, _ in BAD_SEEDS)])
    try:
        yield legacy
    finally:
        engine.dispose()
        with admin.begin() as conn:
            for statement in drop:
                conn.exec_driver_sql(statement)
        admin.dispose()


@pytest.fixture(params=["postgresql", "mariadb"])
def legacy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LegacyDb]:
    """A seeded legacy table on PostgreSQL, then on MariaDB, dropped afterwards."""
    yield from _legacy(request.param, tmp_path)


@pytest.fixture
def sqlite_legacy(tmp_path: Path) -> Iterator[LegacyDb]:
    yield from _legacy("sqlite", tmp_path)


@pytest.fixture
def banner_sessions(banner_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(banner_db_url)
    yield make_session_factory(engine)
    engine.dispose()


def targets_file(tmp_path: Path, legacy: LegacyDb, extra: str = "") -> Path:
    """A targets file for the legacy table whose window takes in the real date's neighbourhood."""
    schema = f'schema = "{legacy.schema}"\n' if legacy.schema else ""
    path = tmp_path / "targets.toml"
    path.write_text(
        f"""[targets.{TARGET}]
url = "{legacy.url}"
table = "MB_BANNER"
{schema}now_columns = ["UPD_DT"]
{extra}
[targets.{TARGET}.columns]
image_url = "BANNER_IMG_URL"
link_url = "LINK_URL"
priority = "DISP_PRIORITY"
start_at = "DISP_START_DT"
end_at = "DISP_END_DT"
[targets.{TARGET}.constants]
UPD_USER = "mailbanner"
""",
        encoding="utf-8",
    )
    return path
