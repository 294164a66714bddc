"""Scale-out: many targets (PostgreSQL schemas) reconciled in one pass, with 1 and 2 worker processes.

A pass is what the beat asks for every period: one `sync.reconcile_all` message, which the worker fans
out into one reconcile per enabled target. The benchmark sends that very message by name (as the beat
does) so that a pass starts at a known moment, then reads the run records (sync_runs) for when the last
target finished. Targets and banner database live in a private PostgreSQL cluster: one engine per
target per worker process keeps a connection open per target, more than a shared server allows.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from celery import Celery

from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE_ALL
from bench.harness import (
    Cluster,
    HttpApi,
    TargetDef,
    cluster,
    create_legacy_table,
    place,
    private_postgres,
    register_banners,
    resume_all,
    wait_until,
    with_search_path,
)
from bench.report import goal

TZ = ZoneInfo("Asia/Tokyo")
TARGETS_PER_REQUEST = 50


@dataclass(frozen=True)
class Config:
    targets: int
    window_days: int
    banners_per_day: int
    workers: tuple[int, ...]
    beat_interval: float
    pass_timeout: float


FULL = Config(
    targets=200, window_days=30, banners_per_day=8, workers=(1, 2), beat_interval=60, pass_timeout=600
)
QUICK = Config(targets=3, window_days=3, banners_per_day=2, workers=(2,), beat_interval=60, pass_timeout=60)


def _pass(
    running: Cluster, banner: sa.Engine, sender: Celery, names: list[str], timeout: float
) -> dict[str, Any]:
    """Send one reconcile-all; wait until every target has a finished run that started after it."""
    with banner.connect() as conn:
        after_id = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM sync_runs")).scalar_one()
    sent = dt.datetime.now(dt.UTC)
    sender.send_task(SYNC_RECONCILE_ALL, queue=SYNC_QUEUE)
    query = sa.text(
        "SELECT target, outcome, finished_at FROM sync_runs WHERE id > :after AND finished_at IS NOT NULL"
    )

    def finished() -> list[Any]:
        with banner.connect() as conn:
            rows = list(conn.execute(query, {"after": after_id}).all())
        return rows if len({row.target for row in rows}) >= len(names) else []

    rows = wait_until(finished, timeout=timeout, what="every target to finish its run", interval=0.2)
    last = max(_aware(row.finished_at) for row in rows)
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[row.outcome] = outcomes.get(row.outcome, 0) + 1
    with banner.connect() as conn:
        connections = conn.execute(
            sa.text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")
        ).scalar_one()
    return {
        "seconds": round((last - sent).total_seconds(), 2),
        "outcomes": outcomes,
        "server_connections": connections,
    }


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _place_on_all(api: HttpApi, banner_id: int, first: dt.date, last: dt.date, names: list[str]) -> None:
    """Place a banner for every target, TARGETS_PER_REQUEST at a time: the change log keeps a change's
    targets in one 512-character column, so one request naming all 200 targets fails (see
    docs/performance.md)."""
    for start in range(0, len(names), TARGETS_PER_REQUEST):
        place(api, banner_id, first, last, names[start : start + TARGETS_PER_REQUEST])


def _worker_ready(sender: Celery) -> bool:
    return bool(sender.control.ping(timeout=0.5))


def run(quick: bool = False) -> dict[str, Any]:
    config = QUICK if quick else FULL
    today = dt.datetime.now(TZ).date()
    # Each worker process keeps one connection per target; room for both runs, the API and the bench.
    with private_postgres(max_connections=3 * config.targets + 100) as server:
        admin = sa.create_engine(server.url)
        with admin.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA banner")
            for n in range(config.targets):
                conn.exec_driver_sql(f"CREATE SCHEMA t{n:03d}")
        admin.dispose()
        targets = [
            TargetDef(
                f"t{n:03d}",
                server.url,
                "T_NL_FOOTER_BANNER",
                f"t{n:03d}",
                "top_is_one",
                0,
                config.window_days - 1,
            )
            for n in range(config.targets)
        ]
        for target in targets:
            create_legacy_table(target.url, target.qualified_table)
        names = [t.name for t in targets]
        banner_url = with_search_path(server.url, "banner")
        env = {
            "MAILBANNER_EVENTS_ENABLED": "false",
            "MAILBANNER_BEAT_INTERVAL_SECONDS": str(config.beat_interval),
        }
        with cluster(banner_url, targets, env) as running:
            api = running.start_api("api", wait=False)
            running.issue_token("bench", ["planner", "operator"])
            running.wait_healthy()
            resume_all(api, names)
            started = time.monotonic()
            # One more banner per worker count: placing it on the first day changes every target.
            banner_ids = register_banners(api, config.banners_per_day + len(config.workers))
            for banner_id in banner_ids[: config.banners_per_day]:
                _place_on_all(api, banner_id, today, today + dt.timedelta(days=config.window_days - 1), names)
            setup_seconds = time.monotonic() - started
            sender = Celery("bench", broker=running.redis.url, set_as_current=False)
            banner = sa.create_engine(banner_url)
            rows = []
            try:
                for generation, workers in enumerate(config.workers, start=1):
                    running.start_worker(workers)
                    wait_until(lambda: _worker_ready(sender), timeout=60, what="worker ping")
                    _pass(running, banner, sender, names, config.pass_timeout)  # warm-up: processes bootstrap
                    _place_on_all(api, banner_ids[-generation], today, today, names)
                    changed = _pass(running, banner, sender, names, config.pass_timeout)
                    unchanged = _pass(running, banner, sender, names, config.pass_timeout)
                    running.stop("worker")
                    for kind, measured in (("every target changed", changed), ("nothing changed", unchanged)):
                        per_target = measured["seconds"] / config.targets
                        rows.append(
                            {
                                "worker processes": workers,
                                "pass": kind,
                                "targets": config.targets,
                                "pass s": measured["seconds"],
                                "ms/target": round(per_target * 1000, 1),
                                "targets per beat period": int(config.beat_interval / per_target)
                                if per_target
                                else None,
                                "outcomes": measured["outcomes"],
                                "server connections": measured["server_connections"],
                            }
                        )
            finally:
                banner.dispose()
                sender.close()
    goals = [
        goal(
            f"full pass of {config.targets} targets ({row['pass']}, {row['worker processes']} workers)",
            row["pass s"],
            config.beat_interval,
            "s",
        )
        for row in rows
    ]
    return {
        "config": {
            **config.__dict__,
            "workers": list(config.workers),
            "setup_seconds": round(setup_seconds, 1),
        },
        "rows": rows,
        "goals": goals,
        "notes": [
            f"targets: {config.targets} PostgreSQL schemas, {config.banners_per_day} banners a day over "
            f"{config.window_days} days each; a pass starts with sync.reconcile_all sent as the beat does",
            "targets per beat period = beat interval / (pass time / targets): a linear extrapolation",
        ],
    }
