"""kill -9 of the worker at random points of large swaps: a target only ever holds a complete window."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync_worker.celery_app import WorkerOptions
from tests.faults.conftest import LONG
from tests.faults.harness import (
    Cluster,
    ClusterSpec,
    Plan,
    Row,
    place,
    register_banner,
    running_cluster,
    set_link,
    today,
)
from tests.processes import wait_until

pytestmark = pytest.mark.faults

TARGETS = ("personalized", "mass")
BANNERS = 10
DAYS = 200  # 10 banners on 200 days: 2000 rows per target
KILLS = 30 if LONG else 4
# A stranded coordination lock (its holder was killed) expires after the lock TTL: keep it short.
KILL_OPTIONS = WorkerOptions(
    soft_time_limit_seconds=4.0,
    time_limit_seconds=5.0,
    retry_backoff_base_seconds=0.2,
    retry_backoff_max_seconds=1.0,
    lock_ttl_seconds=6.0,
    visibility_timeout_seconds=6.5,
)
SPEC = ClusterSpec(
    targets=TARGETS,
    window_days_ahead=DAYS + 5,
    chunk_size=10,
    workers=1,
    concurrency=2,
    beat_interval=1.0,
    worker_options=KILL_OPTIONS,
)


class WindowWatcher:
    """Reads every target over and over from a thread; each read must be one of the allowed windows."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.allowed: dict[str, list[Counter[Row]]] = {}
        self.reads = 0
        self.mixed: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def allow(self, target: str, *windows: Counter[Row]) -> None:
        with self._lock:
            self.allowed[target] = list(windows)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for target in TARGETS:
                rows = self.cluster.target_rows(target)
                with self._lock:
                    allowed = self.allowed.get(target)
                    self.reads += 1
                    if allowed is not None and rows not in allowed:
                        sizes = [sum(w.values()) for w in allowed]
                        self.mixed.append(f"{target}: {sum(rows.values())} rows, none of the allowed {sizes}")

    def __enter__(self) -> WindowWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with running_cluster(SPEC, tmp_path) as running:
        yield running


def _wait_for_swap(cluster: Cluster, target: str, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if cluster.swap_in_progress(target):
            return True
        time.sleep(0.005)
    return False


def _seen_swap_seconds(cluster: Cluster, target: str, within: float) -> float:
    """How long the target's swap lock is seen held, from the first look that finds it."""
    if not _wait_for_swap(cluster, target, within):
        return 0.0
    started = time.monotonic()
    while cluster.swap_in_progress(target):
        time.sleep(0.005)
    return time.monotonic() - started


def test_target_holds_the_whole_old_or_new_window_across_kills_mid_swap(cluster: Cluster) -> None:
    rng = random.Random()
    api = cluster.api
    first = today()
    days = [first + dt.timedelta(days=i) for i in range(DAYS)]
    plan = Plan()
    links: dict[int, str] = {}
    for number in range(BANNERS):
        link = f"https://shop.example.com/b{number}/v0"
        banner_id = register_banner(api, f"Banner {number}", link)
        links[banner_id] = link
        placed = place(api, banner_id, days[0], days[-1], list(TARGETS))
        assert placed.status == 201, placed.body
    for target in TARGETS:
        for day in days:
            plan.days[(target, day)] = list(links.values())
        cluster.wait_for_rows(target, plan.rows(target), within=60)

    # One edit without a kill measures how long a swap holds its lock on this machine, so that each kill
    # below lands at a random point inside one.
    calibration = next(iter(links))
    links[calibration] = f"https://shop.example.com/{calibration}/v0-calibration"
    plan.days = {key: list(links.values()) for key in plan.days}
    assert set_link(api, calibration, links[calibration]).status == 200
    swap_seconds = _seen_swap_seconds(cluster, "personalized", within=15)
    assert swap_seconds > 0, "no swap seen holding its lock"
    for target in TARGETS:
        cluster.wait_for_rows(target, plan.rows(target), within=60)

    killed_mid_swap = 0
    worker = cluster.workers[0]
    with WindowWatcher(cluster) as watcher:
        for generation in range(1, KILLS + 1):
            old = {target: plan.rows(target) for target in TARGETS}
            banner_id = rng.choice(list(links))
            links[banner_id] = f"https://shop.example.com/{banner_id}/v{generation}"
            plan.days = {key: list(links.values()) for key in plan.days}
            new = {target: plan.rows(target) for target in TARGETS}
            for target in TARGETS:
                watcher.allow(target, old[target], new[target])

            edited = set_link(api, banner_id, links[banner_id])
            assert edited.status == 200, edited.body
            if _wait_for_swap(cluster, "personalized", within=15):
                time.sleep(rng.uniform(0.0, swap_seconds * 0.7))  # a random point of the swap
                killed_mid_swap += cluster.swap_in_progress("personalized")
            worker.kill9()
            for target in TARGETS:
                held = cluster.target_rows(target)
                assert held in (old[target], new[target]), f"{target} holds a mix after kill {generation}"
            worker.start()
            for target in TARGETS:
                cluster.wait_for_rows(target, new[target], within=60)

    assert watcher.mixed == []
    assert watcher.reads > KILLS
    assert killed_mid_swap >= 1, "no kill landed while a swap held its lock; the test proved nothing"
    wait_until(
        lambda: all(not cluster.swap_in_progress(target) for target in TARGETS),
        timeout=30,
        what="idle targets",
    )
