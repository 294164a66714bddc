"""Swap throughput: the worker's swap_window() replacing whole windows of 1 000 to 100 000 rows.

Each case runs in a child process of its own (`python -m bench.swap BACKEND ROWS REPEATS`), so its peak
resident memory is that case's alone: the peak is reset (/proc/self/clear_refs) just before each swap
and read back (VmHWM) after it. A case first fills the empty table, then times REPEATS swaps that each
delete the whole window and insert as many new rows, as a reconcile of a changed window does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from banner_common.delivery import DayWindow
from banner_common.targets import ColumnMap, TargetSpec
from bench.databases import LEGACY_DDL, MARIADB_URL, POSTGRES_URL, mariadb_odbc_url
from bench.report import goal
from sync_worker.bootstrap import make_target_engine
from sync_worker.dialects import dialect_for
from sync_worker.swap import swap_window
from sync_worker.target_table import RowKey, TargetTable

TZ = ZoneInfo("Asia/Tokyo")
WINDOW_DAYS = 60
BACKENDS = ("postgresql", "mariadb", "mariadb-odbc")
FULL_SIZES = (1_000, 10_000, 100_000)
COLUMNS = ColumnMap("BANNER_IMG_URL", "BANNER_LINK_URL", "DISP_PRIORITY", "DISP_START_DT", "DISP_END_DT")
REPO_ROOT = Path(__file__).resolve().parents[1]


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with suppress(OSError):  # older kernels: the peak then includes what came before
        Path("/proc/self/clear_refs").write_text("5")


def _rows(count: int, first: dt.date, generation: int) -> list[RowKey]:
    per_day = max(1, -(-count // WINDOW_DAYS))
    rows: list[RowKey] = []
    for n in range(count):
        day = first + dt.timedelta(days=n // per_day)
        start = dt.datetime.combine(day, dt.time())
        link = f"https://shop.bench.test/g{generation}/r{n}"
        rows.append(
            (
                f"https://img.bench.test/{n % 500}.png",
                link,
                n % per_day + 1,
                start,
                start + dt.timedelta(days=1),
            )
        )
    return rows


def measure(backend: str, count: int, repeats: int) -> dict[str, Any]:
    """One case, in this process: create a table of its own, fill it, time the swaps, drop it."""
    name = f"mb_bench_{uuid.uuid4().hex[:8]}"
    admin_url = POSTGRES_URL if backend == "postgresql" else MARIADB_URL
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE {'SCHEMA' if backend == 'postgresql' else 'DATABASE'} {name}")
    try:
        if backend == "postgresql":
            url, schema = POSTGRES_URL, name
        elif backend == "mariadb":
            url, schema = MARIADB_URL.rsplit("/", 1)[0] + f"/{name}", None
        else:
            url, schema = mariadb_odbc_url(name), None
        ddl = LEGACY_DDL["postgresql" if backend == "postgresql" else "mysql"]
        with admin.begin() as conn:
            conn.exec_driver_sql(ddl.format(table=f"{name}.T_BANNER"))
        spec = TargetSpec(
            name="bench",
            url=url,
            table="T_BANNER",
            schema=schema,
            columns=COLUMNS,
            constants={"UPD_USER": "mailbanner"},
            now_columns=("UPD_DT",),
            window_days_back=0,
            window_days_ahead=WINDOW_DAYS - 1,
        )
        engine = make_target_engine(spec)
        try:
            return _swaps(engine, spec, count, repeats)
        finally:
            engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(
                f"DROP {'SCHEMA' if backend == 'postgresql' else 'DATABASE'} {name}"
                + (" CASCADE" if backend == "postgresql" else "")
            )
        admin.dispose()


def _swaps(engine: sa.Engine, spec: TargetSpec, count: int, repeats: int) -> dict[str, Any]:
    dialect = dialect_for(engine.url)
    table = TargetTable.for_spec(spec, TZ, dialect)
    first = dt.date(2030, 1, 1)
    window = DayWindow(first, first + dt.timedelta(days=WINDOW_DAYS - 1))
    moment = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def swap(rows: list[RowKey]) -> float:
        started = time.perf_counter()
        counts = swap_window(engine, dialect, table, window, rows, moment, spec.lock_timeout_seconds)
        seconds = time.perf_counter() - started
        if counts.inserted != count:
            raise RuntimeError(f"inserted {counts.inserted}, expected {count}")
        return seconds

    fill_seconds = swap(_rows(count, first, 0))
    replace_seconds, peaks, baselines = [], [], []
    for generation in range(1, repeats + 1):
        rows = _rows(count, first, generation)
        baselines.append(_memory_kb("VmRSS"))
        _reset_peak()
        replace_seconds.append(swap(rows))
        peaks.append(_memory_kb("VmHWM"))
        del rows
    with engine.connect() as conn:
        held = conn.execute(
            sa.select(sa.func.count()).select_from(table.table).where(table.in_window(window))
        ).scalar()
    if held != count:
        raise RuntimeError(f"the table holds {held} rows after the swaps, expected {count}")
    median = statistics.median(replace_seconds)
    return {
        "fill_s": round(fill_seconds, 3),
        "replace_s": round(median, 3),
        "replace_runs": [round(s, 3) for s in replace_seconds],
        "rows_per_s": round(count / median),
        "rss_before_mb": round(max(baselines) / 1024, 1),
        "peak_rss_mb": round(max(peaks) / 1024, 1),
    }


def run(quick: bool = False) -> dict[str, Any]:
    sizes = (200,) if quick else FULL_SIZES
    repeats = 1 if quick else 3
    rows = []
    for backend in BACKENDS:
        for count in sizes:
            child = subprocess.run(
                [sys.executable, "-m", "bench.swap", backend, str(count), str(repeats)],
                cwd=REPO_ROOT,
                env={
                    **os.environ,
                    "PYTHONPATH": os.pathsep.join(
                        filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
                    ),
                },
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                raise RuntimeError(f"swap case {backend} {count} failed:\n{child.stderr[-3000:]}")
            measured = json.loads(child.stdout.strip().splitlines()[-1])
            rows.append(
                {
                    "backend": backend,
                    "rows": count,
                    "fill s": measured["fill_s"],
                    "replace s": measured["replace_s"],
                    "rows/s": measured["rows_per_s"],
                    "rss before MB": measured["rss_before_mb"],
                    "peak RSS MB": measured["peak_rss_mb"],
                    "runs": measured["replace_runs"],
                }
            )
    goals = [
        goal("PostgreSQL swap of 10 000 rows", row["replace s"], 1.0, "s")
        for row in rows
        if row["backend"] == "postgresql" and row["rows"] == 10_000
    ]
    return {
        "config": {"sizes": list(sizes), "repeats": repeats, "window_days": WINDOW_DAYS},
        "rows": rows,
        "goals": goals,
        "notes": [
            "replace = one transaction: lock, DELETE the window (N rows), INSERT N rows in chunks of 1 000; "
            "median of the runs; peak RSS is the whole child process (the rows to insert are in memory)"
        ],
    }


def main() -> None:
    backend, count, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if backend not in BACKENDS:
        raise SystemExit(f"backend must be one of {BACKENDS}")
    print(json.dumps(measure(backend, count, repeats)))


if __name__ == "__main__":
    main()
