"""Change-to-applied latency: schedule edits through HTTP at fixed rates, events on and beat only, same run.

Each edit places or removes one banner on one day (both targets). Every day's footer moves through states
that never repeat within a run (a sliding window over a pool of banners), so "the edit is applied" has an
exact meaning: the target's rows for that day show the state after this edit, or after a later edit of
the same day (a later swap applies the earlier edits with it). Pollers read both targets every few ms
and note when each day's rows change; an edit's latency is from its HTTP response to the first such
observation. Edits of one day are sequential (one request in flight per day), days run in parallel.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.databases import POSTGRES_URL
from bench.harness import (
    HttpApi,
    TargetDef,
    banner_link,
    cluster,
    create_legacy_table,
    maria_database,
    pg_schema,
    register_banners,
    resume_all,
    with_search_path,
)
from bench.report import goal, ratio, summary

TZ = ZoneInfo("Asia/Tokyo")
MODES = ("events", "beat_only")
Signature = tuple[str, ...]  # a day's links, top of the footer first


@dataclass(frozen=True)
class Config:
    rates: tuple[float, ...]
    seconds: float
    days: int
    pool: int
    beat_interval: float
    poll_interval: float
    drain_seconds: float


FULL = Config(
    rates=(1, 10, 50), seconds=60, days=30, pool=100, beat_interval=60, poll_interval=0.025, drain_seconds=120
)
QUICK = Config(
    rates=(4,), seconds=2, days=4, pool=10, beat_interval=1.5, poll_interval=0.025, drain_seconds=20
)


@dataclass
class Edit:
    day: dt.date
    position: int  # index in the day's history of expected states
    sent: float
    responded: float
    ok: bool


@dataclass
class DayStream:
    """One day's edits: place the next banner of its cycle when it shows three, else remove the top one."""

    day: dt.date
    offset: int
    pool: list[int]  # banner ids; pool index n links to banner_link(n)
    shown: deque[int] = field(default_factory=deque)  # pool indexes, top first
    placed: int = 0
    history: list[Signature] = field(default_factory=list)

    def signature(self) -> Signature:
        return tuple(banner_link(n) for n in self.shown)

    def edit(self, api: HttpApi) -> bool:
        if len(self.shown) <= 3:
            n = (self.offset + self.placed) % len(self.pool)
            body = {"banner_id": self.pool[n], "start_date": str(self.day), "end_date": str(self.day)}
            ok = api.request("POST", "/api/v1/schedule", body).status == 201
            if ok:
                self.shown.append(n)
                self.placed += 1
        else:
            n = self.shown[0]
            path = f"/api/v1/schedule?banner_id={self.pool[n]}&start_date={self.day}&end_date={self.day}"
            ok = api.request("DELETE", path).status == 200
            if ok:
                self.shown.popleft()
        self.history.append(self.signature())
        return ok


class Poller(threading.Thread):
    """Reads one target's whole table every interval; keeps, per day, when its signature changed."""

    def __init__(self, target: TargetDef, interval: float) -> None:
        super().__init__(name=f"poll-{target.name}", daemon=True)
        self.target = target
        self.interval = interval
        self.engine = sa.create_engine(target.url)
        self.timeline: dict[dt.date, list[tuple[float, Signature]]] = defaultdict(list)
        self.latest: dict[dt.date, Signature] = {}
        self.polls = 0
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._descending = target.order == "larger_is_top"
        self._query = sa.text(
            f"SELECT BANNER_LINK_URL, DISP_PRIORITY, DISP_START_DT FROM {target.qualified_table}"
        )

    def read(self) -> dict[dt.date, Signature]:
        by_day: dict[dt.date, list[tuple[int, str]]] = defaultdict(list)
        with self.engine.connect() as conn:
            for link, priority, start in conn.execute(self._query):
                by_day[start.date()].append((int(priority), str(link)))
        return {
            day: tuple(link for _, link in sorted(rows, reverse=self._descending))
            for day, rows in by_day.items()
        }

    def run(self) -> None:
        while not self._stop_event.is_set():
            started = time.monotonic()
            state = self.read()
            with self._lock:
                for day in set(state) | set(self.latest):
                    signature = state.get(day, ())
                    if self.latest.get(day) != signature:
                        self.latest[day] = signature
                        self.timeline[day].append((started, signature))
                self.polls += 1
            self._stop_event.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def shows(self, expected: dict[dt.date, Signature]) -> bool:
        with self._lock:
            return all(self.latest.get(day, ()) == signature for day, signature in expected.items())

    def stop(self) -> None:
        self._stop_event.set()
        self.join(10)
        self.engine.dispose()


def _applied_after(edit: Edit, stream: DayStream, timeline: list[tuple[float, Signature]]) -> float | None:
    """Seconds from the edit's response to the first observation of its state or a later one."""
    later = set(stream.history[edit.position :])
    for observed, signature in timeline:
        if observed >= edit.sent and signature in later:
            return max(0.0, observed - edit.responded)
    return None


def _run_phase(
    api: HttpApi, streams: list[DayStream], targets: list[TargetDef], rate: float, config: Config
) -> dict[str, Any]:
    for stream in streams:
        stream.history = [stream.signature()]
    pollers = [Poller(target, config.poll_interval) for target in targets]
    for poller in pollers:
        poller.start()
    total = max(1, round(rate * config.seconds))
    edits: list[Edit] = []
    edits_lock = threading.Lock()
    start = time.monotonic() + 0.2

    def drive(index: int, stream: DayStream) -> None:
        for n in range(index, total, len(streams)):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent = time.monotonic()
            ok = stream.edit(api)
            edit = Edit(stream.day, len(stream.history) - 1, sent, time.monotonic(), ok)
            with edits_lock:
                edits.append(edit)

    drivers = [threading.Thread(target=drive, args=(i, s), daemon=True) for i, s in enumerate(streams)]
    for driver in drivers:
        driver.start()
    for driver in drivers:
        driver.join()
    finished = time.monotonic()
    final = {stream.day: stream.signature() for stream in streams}
    deadline = finished + config.drain_seconds
    while time.monotonic() < deadline and not all(p.shows(final) for p in pollers):
        time.sleep(0.2)
    for poller in pollers:
        poller.stop()

    by_day = {stream.day: stream for stream in streams}
    per_target: dict[str, Any] = {}
    for poller in pollers:
        latencies = []
        for edit in edits:
            if not edit.ok:
                continue
            seconds = _applied_after(edit, by_day[edit.day], poller.timeline[edit.day])
            if seconds is not None:
                latencies.append(seconds * 1000)
        per_target[poller.target.name] = {
            "applied": len(latencies),
            "latency_ms": summary(latencies),
            "polls": poller.polls,
        }
    responses = [(e.responded - e.sent) * 1000 for e in edits]
    return {
        "rate": rate,
        "edits": len(edits),
        "failed": sum(not e.ok for e in edits),
        "achieved_rate": round(len(edits) / max(finished - start, 1e-9), 1),
        "response_ms": summary(responses),
        "targets": per_target,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Both modes at every rate on a PostgreSQL and a MariaDB target; rows, goals and raw phases."""
    config = QUICK if quick else FULL
    today = dt.datetime.now(TZ).date()
    days = [today + dt.timedelta(days=1 + i) for i in range(config.days)]
    with pg_schema() as schema, maria_database() as maria_url:
        banner_url = with_search_path(POSTGRES_URL, schema)
        targets = [
            TargetDef(
                "personalized", POSTGRES_URL, "T_NL_FOOTER_BANNER", schema, "top_is_one", 1, config.days + 2
            ),
            TargetDef("mass", maria_url, "MASS_MAIL_BANNER", None, "larger_is_top", 1, config.days + 2),
        ]
        for target in targets:
            create_legacy_table(target.url, target.qualified_table)
        env = {"MAILBANNER_BEAT_INTERVAL_SECONDS": str(config.beat_interval)}
        with cluster(banner_url, targets, env) as running:
            apis = {
                "events": running.start_api("api-events", wait=False),
                "beat_only": running.start_api(
                    "api-beat-only", {"MAILBANNER_EVENTS_ENABLED": "false"}, wait=False
                ),
            }
            running.start_worker(2)
            running.start_beat()
            running.issue_token("bench", ["planner", "operator"])
            running.wait_healthy()
            resume_all(apis["events"], [t.name for t in targets])
            pool = register_banners(apis["events"], config.pool)
            streams = [DayStream(day, 3 * i, pool) for i, day in enumerate(days)]
            for _ in range(3):  # warm up: three banners on every day, not timed
                for stream in streams:
                    if not stream.edit(apis["events"]):
                        raise RuntimeError(f"warm-up edit of {stream.day} failed")
            phases = {
                mode: [_run_phase(apis[mode], streams, targets, rate, config) for rate in config.rates]
                for mode in MODES
            }
    return _result(phases, config, [t.name for t in targets])


def _result(phases: dict[str, list[dict[str, Any]]], config: Config, targets: list[str]) -> dict[str, Any]:
    rows = []
    for mode, results in phases.items():
        for phase in results:
            for target in targets:
                measured = phase["targets"][target]
                rows.append(
                    {
                        "mode": mode,
                        "edits/s": phase["rate"],
                        "target": target,
                        "edits": phase["edits"],
                        "achieved/s": phase["achieved_rate"],
                        "failed": phase["failed"],
                        "applied": measured["applied"],
                        "p50 ms": measured["latency_ms"]["p50"],
                        "p95 ms": measured["latency_ms"]["p95"],
                        "p99 ms": measured["latency_ms"]["p99"],
                        "max ms": measured["latency_ms"]["max"],
                        "http p50 ms": phase["response_ms"]["p50"],
                        "http p99 ms": phase["response_ms"]["p99"],
                    }
                )
    ratios = []
    for events, beat_only in zip(phases["events"], phases["beat_only"], strict=True):
        for target in targets:
            fast = events["targets"][target]["latency_ms"]
            slow = beat_only["targets"][target]["latency_ms"]
            ratios.append(
                {
                    "edits/s": events["rate"],
                    "target": target,
                    "beat_only/events p50": ratio(slow["p50"], fast["p50"]),
                    "beat_only/events p99": ratio(slow["p99"], fast["p99"]),
                }
            )
    goals = []
    for phase in phases["events"]:
        if phase["rate"] == 10:
            for target in targets:
                measured = phase["targets"][target]["latency_ms"]
                goals.append(goal(f"{target} p50 at 10 edits/s", measured["p50"], 300, "ms"))
                goals.append(goal(f"{target} p99 at 10 edits/s", measured["p99"], 1000, "ms"))
    return {
        "config": {**config.__dict__, "rates": list(config.rates)},
        "rows": rows,
        "ratios": ratios,
        "goals": goals,
        "phases": phases,
        "notes": [
            f"beat interval {config.beat_interval:g} s; {config.seconds:g} s of edits per rate and mode; "
            f"targets polled every {config.poll_interval * 1000:g} ms (latency resolution)"
        ],
    }
