"""API throughput under gunicorn: month calendar, day view, search and a read mix with wrk; a write mix.

Reads are driven by wrk (C, so the load generator does not eat the CPU the API needs); without wrk a
Python generator takes its place and the result says so. Writes (place, read the day for its ETag,
reorder, remove) need the ETag of the previous answer, so a Python closed loop drives them, each
thread on a day of its own so no write waits on another's version.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bench.databases import POSTGRES_URL
from bench.harness import HttpApi, cluster, pg_schema, place, register_banners, with_search_path
from bench.report import goal, summary

TZ = ZoneInfo("Asia/Tokyo")
TARGET = "personalized"

LUA = """
local paths = {%(paths)s}
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.headers["Accept"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format(
    'JSON {"requests": %%d, "duration_us": %%d, "status_errors": %%d, "socket_errors": %%d, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Config:
    seconds: float
    connections: tuple[int, ...]
    write_threads: int
    banners: int


FULL = Config(seconds=20, connections=(2, 8), write_threads=4, banners=40)
QUICK = Config(seconds=1.5, connections=(2,), write_threads=2, banners=6)


def _wrk(base_url: str, token: str, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "read.lua"
        script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths), "token": token})
        argv = [
            "wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{max(1, int(seconds))}s",
            "--timeout", "5s", "-s", str(script), base_url,
        ]  # fmt: skip
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^JSON (.*)$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    raw = json.loads(match.group(1))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "errors": raw["status_errors"] + raw["socket_errors"],
        "req/s": round(raw["requests"] / seconds_run, 1),
        "p50 ms": round(raw["p50_us"] / 1000, 1),
        "p95 ms": round(raw["p95_us"] / 1000, 1),
        "p99 ms": round(raw["p99_us"] / 1000, 1),
    }


def _closed_loop(
    threads: int,
    seconds: float,
    step: Callable[[int, Callable[[str, str, Any, dict[str, str] | None], Any]], None],
    base_url: str,
    token: str,
) -> dict[str, Any]:
    """`threads` loops calling step(thread, send) until the time is up; every request is timed."""
    parts = urlsplit(base_url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def send(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = None if body is None else json.dumps(body)
        all_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            conn.request(method, path, data, all_headers)
            reply = conn.getresponse()
            raw = reply.read()
            status, etag = reply.status, reply.getheader("ETag")
        finally:
            conn.close()
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            if status >= 400:
                errors[0] += 1
        return status, etag, (json.loads(raw) if raw else None)

    def loop(index: int) -> None:
        while time.monotonic() < deadline:
            step(index, send)

    started = time.monotonic()
    workers = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    stats = summary(latencies)
    return {
        "requests": stats["n"],
        "errors": errors[0],
        "req/s": round(stats["n"] / elapsed, 1),
        "p50 ms": stats["p50"],
        "p95 ms": stats["p95"],
        "p99 ms": stats["p99"],
    }


def _python_reads(
    base_url: str, token: str, paths: list[str], connections: int, seconds: float
) -> dict[str, Any]:
    counter = [0]

    def step(_index: int, send: Callable[..., Any]) -> None:
        counter[0] += 1
        send("GET", paths[counter[0] % len(paths)])

    return _closed_loop(connections, seconds, step, base_url, token)


def _write_step(banner_ids: list[int], days: list[dt.date]) -> Callable[[int, Callable[..., Any]], None]:
    """One write cycle on the thread's own day: place two banners, reorder them, remove them."""

    def step(index: int, send: Callable[..., Any]) -> None:
        day = days[index]
        first, second = banner_ids[2 * index], banner_ids[2 * index + 1]
        for banner_id in (first, second):
            send(
                "POST",
                "/api/v1/schedule",
                {"banner_id": banner_id, "start_date": str(day), "end_date": str(day)},
            )
        _status, etag, body = send("GET", f"/api/v1/schedule/days/{day}?target={TARGET}")
        ids = [entry["id"] for entry in (body or {}).get("entries", [])]
        send(
            "PUT",
            f"/api/v1/schedule/days/{day}?target={TARGET}",
            {"entry_ids": ids[::-1]},
            {"If-Match": etag or "*"},
        )
        for banner_id in (first, second):
            send("DELETE", f"/api/v1/schedule?banner_id={banner_id}&start_date={day}&end_date={day}")

    return step


def run(quick: bool = False) -> dict[str, Any]:
    config = QUICK if quick else FULL
    today = dt.datetime.now(TZ).date()
    month_start = today.replace(day=1)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    later = (next_month + dt.timedelta(days=32)).replace(day=1)
    write_days = [later + dt.timedelta(days=i) for i in range(config.write_threads)]
    use_wrk = shutil.which("wrk") is not None
    load = _wrk if use_wrk else _python_reads
    with pg_schema() as schema, cluster(with_search_path(POSTGRES_URL, schema), []) as running:
        api: HttpApi = running.start_api("api", wait=False)
        # The same API with its read cache off: what every read costs when nothing can be reused.
        uncached: HttpApi = running.start_api("api-uncached", {"MAILBANNER_READ_CACHE_MB": "0"}, wait=False)
        token = running.issue_token("bench", ["planner", "operator"])
        running.wait_healthy()
        banner_ids = register_banners(api, config.banners)
        last_day = later - dt.timedelta(days=1)
        writers = banner_ids[-2 * config.write_threads :]
        for banner_id in banner_ids[: min(10, len(banner_ids) - len(writers))]:
            place(api, banner_id, month_start, last_day)
        reads = {
            "calendar (month)": [f"/api/v1/calendar?month={today:%Y-%m}&target={TARGET}"],
            "day view": [
                f"/api/v1/schedule/days/{month_start + dt.timedelta(days=i)}?target={TARGET}"
                for i in range(28)
            ],
            "search": [
                f"/api/v1/banners?q={word}&limit=20" for word in ("sale", "banner", "Bench%201", "zzz")
            ],
        }
        reads["read mix"] = [path for paths in reads.values() for path in paths[:4]]
        for paths in reads.values():  # every path answers 200 before it is timed
            for path in paths:
                status = api.request("GET", path).status
                if status != 200:
                    raise RuntimeError(f"GET {path}: {status}")
        rows = []

        def measure(name: str, base_url: str, paths: list[str], connections: int, cache: str) -> None:
            measured = load(base_url, token, paths, connections, config.seconds)
            generator = "wrk" if use_wrk else "python"
            rows.append(
                {"workload": name, "read cache": cache, "connections": connections, "generator": generator,
                 **measured}
            )  # fmt: skip

        for connections in config.connections:
            for name, paths in reads.items():
                measure(name, api.base_url, paths, connections, "on")
        for connections in config.connections:
            measure("read mix", uncached.base_url, reads["read mix"], connections, "off")

        def write_mix() -> dict[str, Any]:
            step = _write_step(writers, write_days)
            return _closed_loop(config.write_threads, config.seconds, step, api.base_url, token)

        rows.append(
            {"workload": "write mix", "read cache": "on", "connections": config.write_threads,
             "generator": "python", **write_mix()}
        )  # fmt: skip
        # Reads while planners write: every write moves the content version, so reads rebuild often.
        during: dict[str, Any] = {}
        writing = threading.Thread(target=lambda: during.update(write_mix()))
        writing.start()
        measure(
            "read mix during the write mix", api.base_url, reads["read mix"], config.connections[-1], "on"
        )
        writing.join()
        rows.append(
            {"workload": "write mix during the read mix", "read cache": "on",
             "connections": config.write_threads, "generator": "python", **during}
        )  # fmt: skip
    goals = []
    for row in rows:
        if row["workload"] == "read mix" and row["read cache"] == "on":
            label = f"read mix req/s at {row['connections']} connections"
            goals.append(goal(label, row["req/s"], 500, "req/s", at_least=True))
            goals.append(goal(f"read mix p99 at {row['connections']} connections", row["p99 ms"], 50, "ms"))
    return {
        "config": {**config.__dict__, "connections": list(config.connections), "gunicorn_workers": 2},
        "rows": rows,
        "goals": goals,
        "notes": [
            "API: `mailbanner serve --workers 2` (gunicorn sync workers) on a PostgreSQL banner database, "
            "bearer token on every request; write mix: place x2, GET day, PUT reorder, remove x2 per cycle",
            *(
                []
                if use_wrk
                else ["wrk not installed: reads driven by the Python generator, which competes for CPU"]
            ),
        ],
    }
