"""Benchmark of `import-legacy`: N legacy rows on PostgreSQL imported into a fresh SQLite banner database."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from banner_api import migrate
from banner_common.db import make_engine, make_session_factory
from banner_common.targets import ColumnMap, TargetSpec
from sync_worker.bootstrap import make_target_engine
from sync_worker.dialects import dialect_for
from sync_worker.legacy_import import ImportRules, import_legacy
from sync_worker.target_table import TargetTable

DEFAULT_LEGACY_URL = os.environ.get(
    "MAILBANNER_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BANNERS_PER_DAY = 10
DISTINCT_BANNERS = 500
FIRST_DAY = dt.date(2000, 1, 1)
TZ = ZoneInfo("Asia/Tokyo")
COLUMNS = ColumnMap("BANNER_IMG_URL", "LINK_URL", "DISP_PRIORITY", "DISP_START_DT", "DISP_END_DT")


def _seed(engine: sa.Engine, schema: str, rows: int) -> None:
    """Years of daily legacy rows: BANNERS_PER_DAY per day, drawn from DISTINCT_BANNERS banners."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        conn.exec_driver_sql(
            f"""CREATE TABLE {schema}.MB_BANNER (ID serial PRIMARY KEY, BANNER_IMG_URL varchar(2048) NOT NULL,
            LINK_URL varchar(2048) NOT NULL, DISP_PRIORITY integer NOT NULL, DISP_START_DT timestamp NOT NULL,
            DISP_END_DT timestamp NOT NULL)"""
        )
        table = sa.table(
            "mb_banner",
            *(
                sa.column(c)
                for c in ("banner_img_url", "link_url", "disp_priority", "disp_start_dt", "disp_end_dt")
            ),
            schema=schema,
        )
        batch: list[dict[str, Any]] = []
        for n in range(rows):
            day = FIRST_DAY + dt.timedelta(days=n // BANNERS_PER_DAY)
            banner = (n * 7) % DISTINCT_BANNERS
            start = dt.datetime.combine(day, dt.time())
            batch.append(
                {
                    "banner_img_url": f"https://img.bench.test/banner-{banner}.png",
                    "link_url": f"https://shop.bench.test/campaign/{banner}",
                    "disp_priority": n % BANNERS_PER_DAY + 1,
                    "disp_start_dt": start,
                    "disp_end_dt": start + dt.timedelta(days=1),
                }
            )
            if len(batch) == 10_000:
                conn.execute(sa.insert(table), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(table), batch)


def run(rows: int, legacy_url: str = DEFAULT_LEGACY_URL) -> dict[str, Any]:
    """Seed `rows` legacy rows, import them once, and return the timing and counts."""
    schema = f"mb_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(legacy_url)
    _seed(admin, schema, rows)
    with tempfile.TemporaryDirectory() as directory:
        banner_url = f"sqlite:///{Path(directory) / 'banner.db'}"
        migrate.upgrade(banner_url)
        banner_engine = make_engine(banner_url)
        spec = TargetSpec(name="mass", url=legacy_url, table="MB_BANNER", schema=schema, columns=COLUMNS)
        target_engine = make_target_engine(spec)
        try:
            rules = ImportRules(TargetTable.for_spec(spec, TZ, dialect_for(legacy_url)), 2048, ())
            started = time.perf_counter()
            report = import_legacy(
                target_engine, make_session_factory(banner_engine), rules, campaign_type="sale", actor="bench"
            )
            seconds = time.perf_counter() - started
        finally:
            target_engine.dispose()
            banner_engine.dispose()
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            admin.dispose()
    return {
        "benchmark": "import_legacy",
        "legacy_rows": rows,
        "legacy_database": "postgresql",
        "banner_database": "sqlite",
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        **report.summary(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--legacy-url", default=DEFAULT_LEGACY_URL)
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.legacy_url), indent=2))


if __name__ == "__main__":
    main()
