"""Cost of a reconcile when nothing changed: 10 banners a day over a 60-day window, PostgreSQL and MariaDB.

The worker's own reconcile() runs in this process against real databases (the same code a worker task
calls), so each statement it sends can be counted with SQLAlchemy's cursor events, per database.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from banner_common.delivery import DayWindow, delivery_rows, today_in
from banner_common.models import utcnow
from banner_common.settings import Settings
from banner_common.targets import load_targets
from bench.databases import POSTGRES_URL, mariadb_odbc_url
from bench.harness import (
    TargetDef,
    cluster,
    create_legacy_table,
    maria_database,
    pg_schema,
    place,
    register_banners,
    resume_all,
    with_search_path,
)
from bench.report import goal, summary
from sync_worker.bootstrap import build_runtime
from sync_worker.dialects import dialect_for
from sync_worker.reconcile import Outcome, reconcile
from sync_worker.swap import read_window
from sync_worker.target_table import TargetTable

TZ = ZoneInfo("Asia/Tokyo")
BANNERS_PER_DAY = 10
WINDOW_DAYS = 60
WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "DROP", "ALTER")


class StatementLog:
    """Counts the statements an engine sends, by their first keyword."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.kinds[statement.lstrip().split(None, 1)[0].upper()] += 1

    @contextmanager
    def watching(self, engine: sa.Engine) -> Iterator[None]:
        sa.event.listen(engine, "before_cursor_execute", self)
        try:
            yield
        finally:
            sa.event.remove(engine, "before_cursor_execute", self)

    def writes(self) -> int:
        return sum(n for kind, n in self.kinds.items() if kind in WRITES)


def _top_functions(profile: cProfile.Profile, count: int = 12) -> list[str]:
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(count)
    return [line.rstrip() for line in stream.getvalue().splitlines() if line.strip()][-count:]


def run(quick: bool = False) -> dict[str, Any]:
    repeats = 5 if quick else 100
    window_days = 5 if quick else WINDOW_DAYS
    banners = 2 if quick else BANNERS_PER_DAY
    today = dt.datetime.now(TZ).date()
    with pg_schema() as schema, maria_database() as maria_url:
        banner_url = with_search_path(POSTGRES_URL, schema)
        targets = [
            TargetDef(
                "personalized", POSTGRES_URL, "T_NL_FOOTER_BANNER", schema, "top_is_one", 0, window_days - 1
            ),
            TargetDef("mass", maria_url, "MASS_MAIL_BANNER", None, "larger_is_top", 0, window_days - 1),
            # The same server through pyodbc, the driver SQL Server targets use in production.
            TargetDef(
                "mass_odbc",
                mariadb_odbc_url(maria_url.rsplit("/", 1)[1]),
                "MASS_MAIL_BANNER_ODBC",
                None,
                "larger_is_top",
                0,
                window_days - 1,
            ),
        ]
        for target in targets:
            create_legacy_table(target.url, target.qualified_table)
        with cluster(banner_url, targets) as running:
            api = running.start_api("api", wait=False)
            running.issue_token("bench", ["planner", "operator"])
            running.wait_healthy()
            resume_all(api, [t.name for t in targets])
            for banner_id in register_banners(api, banners):
                place(api, banner_id, today, today + dt.timedelta(days=window_days - 1))
            running.stop("api")
            settings = Settings.from_env(running.env)
            runtime = build_runtime(settings, load_targets(settings.targets_file, settings))
            try:
                rows = [_measure(runtime, name, repeats) for name in runtime.targets]
            finally:
                runtime.dispose()
    goals = [goal(f"{row['target']} no-op reconcile p50", row["p50 ms"], 20, "ms") for row in rows]
    goals += [
        goal(f"{row['target']} writes to the target per no-op", row["target writes"], 0, "") for row in rows
    ]
    return {
        "config": {"window_days": window_days, "banners_per_day": banners, "repeats": repeats},
        "rows": [{k: v for k, v in row.items() if k != "profile"} for row in rows],
        "profiles": {row["target"]: row["profile"] for row in rows},
        "goals": goals,
        "notes": [
            "statements per no-op reconcile, counted with SQLAlchemy cursor events; the banner-database "
            "writes are the run record (sync_runs, target_states)"
        ],
    }


def _measure(runtime: Any, name: str, repeats: int) -> dict[str, Any]:
    spec = runtime.targets[name]
    target_engine = runtime.target_engines[name]
    settings = runtime.settings

    def once() -> Outcome:
        result = reconcile(
            spec,
            banner_sessions=runtime.banner_sessions,
            target_engine=target_engine,
            settings=settings,
            trigger="beat",
        )
        return result.outcome

    first = once()
    if first is not Outcome.SWAPPED:
        raise RuntimeError(f"{name}: first reconcile was {first}, expected a swap")
    once()  # warm the pools and caches: the worker process is long-lived
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        outcome = once()
        timings.append((time.perf_counter() - started) * 1000)
        if outcome is not Outcome.IN_SYNC:
            raise RuntimeError(f"{name}: a no-op reconcile gave {outcome}")

    banner_log, target_log = StatementLog(), StatementLog()
    with banner_log.watching(runtime.banner_engine), target_log.watching(target_engine):
        once()

    # Where the time goes: the two reads alone, then a profile of whole runs.
    window = DayWindow.around(today_in(settings.tz, utcnow()), spec.window_days_back, spec.window_days_ahead)
    table = TargetTable.for_spec(spec, settings.tz, dialect_for(target_engine.url))
    desired_ms, actual_ms, row_count = [], [], 0
    for _ in range(max(3, repeats // 5)):
        started = time.perf_counter()
        with runtime.banner_sessions() as session:
            row_count = len(
                table.keys_of(delivery_rows(session, name, window, settings.tz, spec.priority_order))
            )
        desired_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        read_window(target_engine, table, window)
        actual_ms.append((time.perf_counter() - started) * 1000)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(max(3, repeats // 5)):
        once()
    profile.disable()

    stats = summary(timings)
    return {
        "target": name,
        "dialect": target_engine.dialect.name,
        "window rows": row_count,
        "runs": stats["n"],
        "p50 ms": stats["p50"],
        "p95 ms": stats["p95"],
        "p99 ms": stats["p99"],
        "desired ms": round(statistics.median(desired_ms), 1),
        "read target ms": round(statistics.median(actual_ms), 1),
        "banner stmts": sum(banner_log.kinds.values()),
        "banner writes": banner_log.writes(),
        "target stmts": sum(target_log.kinds.values()),
        "target writes": target_log.writes(),
        "profile": _top_functions(profile),
    }
