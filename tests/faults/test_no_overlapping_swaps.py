"""Duplicate beats, many workers, a job past its time limit and visibility timeout: one run at a time."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sync_worker.celery_app import WorkerOptions
from tests.faults.harness import Cluster, ClusterSpec, Planner, running_cluster, today

pytestmark = pytest.mark.faults

TARGETS = ("personalized", "mass")


def _assert_one_run_at_a_time(runs: list[dict[str, Any]]) -> None:
    unfinished = [run for run in runs if run["finished_at"] is None]
    assert unfinished == []
    for earlier, later in itertools.pairwise(runs):
        assert later["started_at"] >= earlier["finished_at"], (
            f"run {later['id']} overlaps run {earlier['id']}"
        )


class RunningRunsProbe:
    """Samples, from a thread, how many runs of each target the banner database shows as running."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.most: dict[str, int] = dict.fromkeys(cluster.spec.targets, 0)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        query = sa.text("SELECT target, count(*) FROM sync_runs WHERE outcome = 'running' GROUP BY target")
        while not self._stop.is_set():
            with self.cluster.banner_engine.connect() as conn:
                for target, count in conn.execute(query):
                    self.most[target] = max(self.most.get(target, 0), int(count))
            self.samples += 1
            time.sleep(0.02)

    def __enter__(self) -> RunningRunsProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def test_two_beats_and_three_workers_never_swap_one_target_twice_at_once(tmp_path: Path) -> None:
    spec = ClusterSpec(targets=TARGETS, workers=3, concurrency=2, beats=2, beat_interval=1.0)
    with running_cluster(spec, tmp_path) as cluster:
        days = [today() + dt.timedelta(days=i) for i in range(10)]
        planner = Planner(cluster.api, TARGETS, days, random.Random(20))
        for _ in range(4):
            planner.add_banner()
        with RunningRunsProbe(cluster) as probe:
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                planner.edit()
            for target in TARGETS:
                cluster.wait_for_rows(target, planner.expected_rows(target), within=30)
            time.sleep(2 * spec.beat_interval)  # let the last runs finish
        runs = {target: cluster.runs(target) for target in TARGETS}

    assert planner.server_errors == 0, planner.statuses
    assert probe.samples > 50
    assert probe.most == dict.fromkeys(TARGETS, 1)
    for target in TARGETS:
        assert sum(run["outcome"] == "swapped" for run in runs[target]) >= 3, (
            "too few swaps to prove anything"
        )
        _assert_one_run_at_a_time(runs[target])


# The swap blocks on a table lock the test holds: past the visibility timeout (its message is handed
# to another worker process) and past the soft time limit, released before the hard limit.
SLOW_OPTIONS = WorkerOptions(
    soft_time_limit_seconds=3.0,
    time_limit_seconds=8.0,
    retry_backoff_base_seconds=0.2,
    retry_backoff_max_seconds=1.0,
    lock_ttl_seconds=9.0,
    visibility_timeout_seconds=9.5,
)
FORCED_VISIBILITY_TIMEOUT = 1.5
TABLE_LOCKED_FOR = 5.0


def test_job_past_its_time_limit_and_visibility_timeout_is_not_swapped_twice_at_once(tmp_path: Path) -> None:
    spec = ClusterSpec(
        targets=("personalized",),
        workers=2,
        concurrency=2,
        beat_interval=30.0,  # only the test's change asks for runs here
        worker_options=SLOW_OPTIONS,
        forced_visibility_timeout=FORCED_VISIBILITY_TIMEOUT,
    )
    with running_cluster(spec, tmp_path) as cluster:
        days = [today() + dt.timedelta(days=i) for i in range(3)]
        planner = Planner(cluster.api, ("personalized",), days, random.Random(30))
        banner = planner.add_banner()
        cluster.wait_for_rows("personalized", planner.expected_rows("personalized"), within=30)
        runs_before = len(cluster.runs("personalized"))
        with RunningRunsProbe(cluster) as probe, cluster.target_engines["personalized"].connect() as blocker:
            blocker.execute(sa.text(f"LOCK TABLE {cluster.tables['personalized']} IN ACCESS EXCLUSIVE MODE"))
            placed = cluster.api.request(
                "POST",
                "/api/v1/schedule",
                {"banner_id": banner, "start_date": str(days[0]), "end_date": str(days[-1])},
            )
            time.sleep(TABLE_LOCKED_FOR)
            blocker.rollback()
            cluster.wait_for_rows("personalized", planner.expected_rows("personalized"), within=30)
            time.sleep(1)
        runs = cluster.runs("personalized")[runs_before:]
        logs = "".join(worker.log.read_text() for worker in cluster.workers)

    assert placed.status == 201, placed.body
    timed_out = [run for run in runs if run["error"] and "SoftTimeLimitExceeded" in run["error"]]
    assert timed_out, f"no run hit the soft time limit: {runs}"
    received = re.findall(r"Task mailbanner\.sync\.reconcile\[([0-9a-f-]+)\] received", logs)
    redelivered = {task for task in received if received.count(task) > 1}
    assert redelivered, "no message outlived the visibility timeout; the test proved nothing"
    assert probe.most == {"personalized": 1}
    _assert_one_run_at_a_time(runs)
