"""Legacy delivery tables on real PostgreSQL, MariaDB (PyMySQL and ODBC) and SQLite; schedule helpers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from banner_common.db import make_engine, make_session_factory
from banner_common.models import Banner, ScheduleChange, ScheduleEntry, TargetState
from banner_common.settings import Settings
from banner_common.targets import ColumnMap, TargetSpec
from sync_worker.bootstrap import make_target_engine
from sync_worker.dialects import dialect_for
from sync_worker.reconcile import RunResult, reconcile
from tests.conftest import MARIADB_URL, POSTGRES_URL
from tests.processes import mariadb_odbc_url

TARGET = "personalized"
# 12:00 in Tokyo on 2026-11-22: the window of the default spec is 2026-11-21 .. 2026-11-25.
NOW = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)
COLUMNS = ColumnMap(
    image_url="BANNER_IMG_URL",
    link_url="LINK_URL",
    priority="DISP_PRIORITY",
    start_at="DISP_START_DT",
    end_at="DISP_END_DT",
)
ALL_COLUMNS = (
    "BANNER_IMG_URL",
    "LINK_URL",
    "DISP_PRIORITY",
    "DISP_START_DT",
    "DISP_END_DT",
    "UPD_USER",
    "UPD_DT",
)
REJECTED_LINK = "https://shop.test/rejected"  # violates the legacy table's CHECK constraint

TARGET_BACKENDS = ["postgresql", "mariadb", "mariadb_odbc", "sqlite"]


def _postgres_ddl(schema: str) -> list[str]:
    # Unquoted, as legacy DDL is written: PostgreSQL folds the names to lower case.
    return [
        f"CREATE SCHEMA {schema}",
        f"""CREATE TABLE {schema}.MB_BANNER (
            ID serial PRIMARY KEY,
            BANNER_IMG_URL varchar(300) NOT NULL,
            LINK_URL varchar(300) NOT NULL CHECK (LINK_URL <> '{REJECTED_LINK}'),
            DISP_PRIORITY integer NOT NULL,
            DISP_START_DT timestamp NOT NULL,
            DISP_END_DT timestamp NOT NULL,
            UPD_USER varchar(20) NOT NULL,
            UPD_DT timestamp NOT NULL)""",
    ]


def _mariadb_ddl(database: str) -> list[str]:
    return [
        f"CREATE DATABASE `{database}`",
        f"""CREATE TABLE `{database}`.MB_BANNER (
            ID int AUTO_INCREMENT PRIMARY KEY,
            BANNER_IMG_URL varchar(300) NOT NULL,
            LINK_URL varchar(300) NOT NULL,
            DISP_PRIORITY int NOT NULL,
            DISP_START_DT datetime NOT NULL,
            DISP_END_DT datetime NOT NULL,
            UPD_USER varchar(20) NOT NULL,
            UPD_DT datetime NOT NULL,
            CONSTRAINT ck_link CHECK (LINK_URL <> '{REJECTED_LINK}')) ENGINE=InnoDB""",
    ]


_SQLITE_DDL = f"""CREATE TABLE MB_BANNER (
    ID INTEGER PRIMARY KEY,
    BANNER_IMG_URL VARCHAR(300) NOT NULL,
    LINK_URL VARCHAR(300) NOT NULL CHECK (LINK_URL <> '{REJECTED_LINK}'),
    DISP_PRIORITY INTEGER NOT NULL,
    DISP_START_DT DATETIME NOT NULL,
    DISP_END_DT DATETIME NOT NULL,
    UPD_USER VARCHAR(20) NOT NULL,
    UPD_DT DATETIME NOT NULL)"""


@dataclass
class LegacyTarget:
    """A legacy delivery table on a real database, and a spec pointing the worker at it."""

    backend: str
    url: str
    schema: str | None
    table_name: str
    engine: sa.Engine

    def spec(self, **overrides: Any) -> TargetSpec:
        base = TargetSpec(
            name=TARGET,
            url=self.url,
            table=self.table_name,
            schema=self.schema,
            columns=COLUMNS,
            constants={"UPD_USER": "mailbanner"},
            now_columns=("UPD_DT",),
            window_days_back=1,
            window_days_ahead=3,
        )
        return replace(base, **overrides)

    @property
    def table(self) -> sa.Table:
        """The whole legacy table, for the test's own reads and hand edits (keys as in the legacy DDL)."""
        name = dialect_for(self.url).identifier
        types: dict[str, Any] = {"ID": sa.Integer, "DISP_PRIORITY": sa.Integer}
        types.update(dict.fromkeys(("DISP_START_DT", "DISP_END_DT", "UPD_DT"), sa.DateTime))
        columns = [
            sa.Column(name(column), types.get(column, sa.String), key=column, primary_key=column == "ID")
            for column in ("ID", *ALL_COLUMNS)
        ]
        return sa.Table(name(self.table_name), sa.MetaData(), *columns, schema=self.schema)

    def rows(self) -> list[tuple[Any, ...]]:
        """Every row (without the surrogate ID), in a stable order."""
        table = self.table
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(*(table.c[name] for name in ALL_COLUMNS))).all()
        return sorted((tuple(row) for row in found), key=repr)

    def delivery_rows(self) -> list[tuple[Any, ...]]:
        """(image, link, priority, start, end) of every row, sorted."""
        return sorted((row[:5] for row in self.rows()), key=repr)

    def add_row(self, image: str, link: str, priority: int, start: dt.datetime, end: dt.datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(self.table).values(
                    BANNER_IMG_URL=image,
                    LINK_URL=link,
                    DISP_PRIORITY=priority,
                    DISP_START_DT=start,
                    DISP_END_DT=end,
                    UPD_USER="legacy",
                    UPD_DT=dt.datetime(2020, 1, 1),
                )
            )


@pytest.fixture(params=TARGET_BACKENDS)
def legacy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LegacyTarget]:
    """A fresh legacy table on one target backend, dropped afterwards."""
    unique = f"mb_sync_{uuid.uuid4().hex[:10]}"
    backend: str = request.param
    drop: list[str] = []
    admin: sa.Engine | None = None
    if backend == "postgresql":
        admin = sa.create_engine(POSTGRES_URL)
        setup, url, schema = _postgres_ddl(unique), POSTGRES_URL, unique
        drop = [f'DROP SCHEMA "{unique}" CASCADE']
    elif backend in {"mariadb", "mariadb_odbc"}:
        admin = sa.create_engine(MARIADB_URL)
        setup, schema = _mariadb_ddl(unique), unique
        url = MARIADB_URL if backend == "mariadb" else mariadb_odbc_url(MARIADB_URL, "test")
        drop = [f"DROP DATABASE `{unique}`"]
    else:
        url, schema = f"sqlite:///{tmp_path / 'target.db'}", None
        admin = make_engine(url)
        setup = [_SQLITE_DDL]
    with admin.begin() as conn:
        for statement in setup:
            conn.exec_driver_sql(statement)
    engine = make_target_engine(TargetSpec(name=TARGET, url=url, table="MB_BANNER", schema=schema))
    target = LegacyTarget(backend, url, schema, "MB_BANNER", engine)
    try:
        yield target
    finally:
        target.engine.dispose()
        with admin.begin() as conn:
            for statement in drop:
                conn.exec_driver_sql(statement)
        admin.dispose()


@pytest.fixture
def banner_sessions(banner_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(banner_db_url)
    yield make_session_factory(engine)
    engine.dispose()


@dataclass
class Planner:
    """Writes banners and schedule entries straight into the banner database, as the API would."""

    sessions: sessionmaker[Session]

    def banner(self, name: str, link: str | None = None) -> int:
        with self.sessions() as session:
            banner = Banner(
                title=name,
                image_url=f"https://img.test/{name}.png",
                image_key=None,
                image_width=600,
                image_height=120,
                image_content_type="image/png",
                image_bytes=1234,
                link_url=link or f"https://shop.test/{name}",
                campaign_type="sale",
                notes="",
                archived=False,
            )
            session.add(banner)
            session.commit()
            return banner.id

    def schedule(self, day: dt.date, *banner_ids: int, target: str = TARGET) -> int:
        """Replace the day's list with banner_ids (top first) and log the change; returns the change id."""
        with self.sessions() as session:
            session.execute(
                sa.delete(ScheduleEntry).where(ScheduleEntry.date == day, ScheduleEntry.target == target)
            )
            for position, banner_id in enumerate(banner_ids, start=1):
                session.add(ScheduleEntry(banner_id=banner_id, date=day, target=target, position=position))
            change = ScheduleChange(targets=target, first_day=day, last_day=day, reason="test")
            session.add(change)
            session.commit()
            return change.id

    def set_link(self, banner_id: int, link: str) -> None:
        with self.sessions() as session:
            banner = session.get_one(Banner, banner_id)
            banner.link_url = link
            session.commit()

    def resume(self, target: str = TARGET) -> None:
        """Unpause the target the way an operator does (a new target starts paused)."""
        with self.sessions() as session:
            state = session.get(TargetState, target)
            if state is None:
                state = TargetState(name=target, held=False, applied_change_id=0)
                session.add(state)
            state.paused = False
            state.paused_reason = ""
            session.commit()

    def state(self, target: str = TARGET) -> TargetState:
        with self.sessions() as session:
            return session.get_one(TargetState, target)


@pytest.fixture
def planner(banner_sessions: sessionmaker[Session]) -> Planner:
    return Planner(banner_sessions)


@pytest.fixture
def run(banner_sessions: sessionmaker[Session], settings: Settings) -> Callable[..., RunResult]:
    """Run reconcile for a spec against an engine at NOW (or another moment)."""

    def run_once(
        spec: TargetSpec, engine: sa.Engine, *, force: bool = False, now: dt.datetime = NOW, **kw: Any
    ) -> RunResult:
        return reconcile(
            spec,
            banner_sessions=banner_sessions,
            target_engine=engine,
            settings=kw.pop("settings", settings),
            trigger=kw.pop("trigger", "test"),
            force=force,
            now=now,
        )

    return run_once


def writes(statements: list[str]) -> list[str]:
    """Statements that change data or take a swap lock."""
    markers = ("INSERT", "UPDATE", "DELETE", "GET_LOCK", "PG_ADVISORY", "BEGIN IMMEDIATE", "LOCK TABLE")
    return [s for s in statements if any(marker in s.upper() for marker in markers)]
