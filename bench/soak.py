"""Soak: minutes of mixed planner edits through the API while random faults hit the cluster; then every
target row is checked against the schedule. `python -m bench.soak --minutes 10` prints the figures as JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.faults.harness import Cluster, ClusterSpec, Planner, running_cluster, today

TARGETS = ("personalized", "mass")
SPEC = ClusterSpec(
    targets=TARGETS,
    window_days_ahead=30,
    workers=2,  # worker0 is never killed: its memory is the one measured
    concurrency=2,
    beats=2,
    beat_interval=2.0,
    proxy_targets=True,
    proxy_banner_db=True,
)
DAYS = 14
BANNERS = 6
CHECK_EVERY_SECONDS = 120.0
CONVERGE_WITHIN_SECONDS = 60.0


class FaultInjector:
    """Injects one random fault at a time, from a thread, until stopped; counts them by kind."""

    def __init__(self, cluster: Cluster, rng: random.Random) -> None:
        self.cluster = cluster
        self.rng = rng
        self.injected: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.kinds: dict[str, Callable[[], None]] = {
            "worker_killed": self._kill_worker,
            "target_unreachable": self._cut_target,
            "redis_restarted": self._restart_redis,
            "banner_db_unreachable": self._cut_banner_db,
        }

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _loop(self) -> None:
        while not self._stop.wait(self.rng.uniform(4, 12)):
            kind = self.rng.choice(sorted(self.kinds))
            self.kinds[kind]()
            self.injected[kind] += 1

    def _pause(self, low: float, high: float) -> None:
        time.sleep(self.rng.uniform(low, high))

    def _kill_worker(self) -> None:
        victim = self.cluster.workers[1]
        victim.kill9()
        self._pause(0.5, 3)
        victim.start()

    def _cut_target(self) -> None:
        proxy = self.cluster.proxies[self.rng.choice(TARGETS)]
        proxy.cut()
        self._pause(2, 8)
        proxy.restore()

    def _restart_redis(self) -> None:
        self.cluster.redis.stop()
        self._pause(1, 5)
        self.cluster.redis.start()

    def _cut_banner_db(self) -> None:
        proxy = self.cluster.proxies["banner"]
        proxy.cut()
        self._pause(1, 4)
        proxy.restore()


def _check(cluster: Cluster, planner: Planner) -> tuple[int, int]:
    """Wait for the targets to converge; returns (rows checked, rows missing or wrong)."""
    checked = wrong = 0
    for target in TARGETS:
        expected = planner.expected_rows(target)
        deadline = time.monotonic() + CONVERGE_WITHIN_SECONDS
        actual = cluster.target_rows(target)
        while actual != expected and time.monotonic() < deadline:
            time.sleep(0.5)
            actual = cluster.target_rows(target)
        checked += sum(expected.values())
        wrong += sum(((expected - actual) + (actual - expected)).values())
    return checked, wrong


def _memory(cluster: Cluster) -> dict[str, int]:
    """Memory of the worker that is never killed and of the API (each with its children)."""
    return {"worker0": cluster.workers[0].memory_bytes(), "api": cluster.api_proc.memory_bytes()}


def _setup(cluster: Cluster, rng: random.Random) -> Planner:
    days = [today() + dt.timedelta(days=i) for i in range(DAYS)]
    planner = Planner(cluster.api, TARGETS, days, rng)
    for _ in range(BANNERS):
        banner = planner.add_banner()
        if banner is None:
            raise RuntimeError(f"could not register a banner: {planner.statuses}")
        body = {"banner_id": banner, "start_date": str(days[0]), "end_date": str(days[-1])}
        placed = cluster.api.request("POST", "/api/v1/schedule", body)
        if placed.status != 201:
            raise RuntimeError(f"could not place a banner: {placed.body}")
    return planner


def run(minutes: float, seed: int | None = None, workdir: Path | None = None) -> dict[str, Any]:
    """Run the soak for `minutes` of edits under faults; returns its figures."""
    rng = random.Random(seed)
    with (
        tempfile.TemporaryDirectory(prefix="mb_soak_") as tmp,
        running_cluster(SPEC, workdir or Path(tmp)) as cluster,
    ):
        planner = _setup(cluster, rng)
        rows_checked, mismatches = _check(cluster, planner)
        memory_samples = [_memory(cluster)]
        edits: Counter[str] = Counter()
        faults = FaultInjector(cluster, rng)
        started = time.monotonic()
        deadline = started + minutes * 60
        checkpoints = 0
        while time.monotonic() < deadline:
            faults.start()
            segment_end = min(deadline, time.monotonic() + CHECK_EVERY_SECONDS)
            while time.monotonic() < segment_end:
                edits[planner.edit()] += 1
                time.sleep(rng.uniform(0.05, 0.3))
            faults.stop()
            checked, wrong = _check(cluster, planner)
            rows_checked += checked
            mismatches += wrong
            checkpoints += 1
            memory_samples.append(_memory(cluster))
        runs = {target: Counter(run["outcome"] for run in cluster.runs(target)) for target in TARGETS}
        return {
            "minutes": minutes,
            "seed": seed,
            "faults_injected": dict(faults.injected),
            "edits": sum(edits.values()),
            "edits_by_kind": dict(edits),
            "responses_by_status": {str(k): v for k, v in sorted(planner.statuses.items())},
            "server_errors_5xx": sum(v for k, v in planner.statuses.items() if k >= 500 and k != 503),
            "refused_503_banner_db_down": planner.statuses.get(503, 0),
            "unanswered_requests": planner.unanswered,
            "checkpoints": checkpoints,
            "rows_checked": rows_checked,
            "mismatches": mismatches,
            "sync_runs_by_outcome": {target: dict(counts) for target, counts in runs.items()},
            "memory_pss_bytes_start": memory_samples[0],
            "memory_pss_bytes_end": memory_samples[-1],
            "memory_pss_bytes_at_checkpoints": memory_samples,
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Soak Mailbanner: edits under random faults, then check rows."
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.minutes, args.seed), indent=2))


if __name__ == "__main__":
    main()
