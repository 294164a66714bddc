"""The sync tasks in a real Celery worker on the Redis broker, with an in-memory reconcile function."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from celery import Celery

from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE, SYNC_RECONCILE_ALL, SYNC_REQUEST
from sync_worker.celery_app import WorkerOptions, make_celery
from tests.conftest import REDIS_URL
from tests.integration.worker.harness import (
    Finished,
    delete_prefixed_keys,
    finished_tasks,
    running_worker,
    unique_prefix,
)

pytestmark = pytest.mark.redis

VALID_EVENT = {
    "targets": ["mass"],
    "first_day": "2025-03-01",
    "last_day": "2025-03-02",
    "change_id": 7,
    "committed_at": "2025-02-20T10:00:00+00:00",
}


@dataclass(frozen=True)
class FakeResult:
    outcome: str
    retryable: bool = False
    error: str | None = None


SWAPPED = FakeResult("swapped")
CONNECTION_LOST = FakeResult("failed", retryable=True, error="connection refused")
HELD_BY_GUARD = FakeResult("failed", retryable=False, error="constraint violated")


@dataclass
class FakeRunner:
    """Plays the reconcile core: configured targets, and a scripted result for each run."""

    configured: dict[str, bool]
    script: list[FakeResult] = field(default_factory=list)
    runs: list[tuple[str, str, bool]] = field(default_factory=list)

    def targets(self) -> dict[str, bool]:
        return self.configured

    def run(self, target: str, trigger: str, force: bool) -> FakeResult:
        self.runs.append((target, trigger, force))
        return self.script.pop(0) if self.script else SWAPPED

    def close(self) -> None:
        pass


@dataclass
class WorkerHarness:
    app: Celery
    runner: FakeRunner
    finished: Finished

    def send(self, name: str, **kwargs: Any) -> None:
        self.app.send_task(name, kwargs=kwargs, queue=SYNC_QUEUE)


@pytest.fixture
def start_harness() -> Iterator[Callable[..., WorkerHarness]]:
    """Starts a worker thread on an isolated key prefix; call it with the fake runner and option overrides."""
    prefix = unique_prefix("tasks")
    with ExitStack() as stack:
        finished = stack.enter_context(finished_tasks())

        def start(runner: FakeRunner, **option_overrides: Any) -> WorkerHarness:
            options = WorkerOptions(
                retry_backoff_base_seconds=0.01,
                retry_backoff_max_seconds=0.05,
                coordination_key_prefix=prefix + "coord:",
                **option_overrides,
            )
            settings = Settings(redis_url=REDIS_URL)
            app = make_celery(settings, options=options, runner_factory=lambda _: runner)
            stack.enter_context(running_worker(app, prefix + "broker:"))
            return WorkerHarness(app, runner, finished)

        yield start
    delete_prefixed_keys(prefix)


def test_valid_event_leads_to_one_event_run_of_each_named_configured_target(
    start_harness: Callable[..., WorkerHarness],
) -> None:
    harness = start_harness(FakeRunner({"mass": True, "personalized": True}))

    harness.send(SYNC_REQUEST, event={**VALID_EVENT, "targets": ["mass", "nowhere"]})
    harness.finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == 1)

    assert harness.finished.of(SYNC_REQUEST) == [("SUCCESS", 1)]
    assert harness.finished.of(SYNC_RECONCILE) == [("SUCCESS", "swapped")]
    assert harness.runner.runs == [("mass", "event", False)]


def test_malformed_event_is_dropped_without_run_or_retry(start_harness: Callable[..., WorkerHarness]) -> None:
    harness = start_harness(FakeRunner({"mass": True}))

    harness.send(SYNC_REQUEST, event={"targets": "mass", "first_day": "yesterday"})
    harness.send(SYNC_REQUEST, event=VALID_EVENT)
    harness.finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == 1)

    assert harness.finished.of(SYNC_REQUEST) == [("SUCCESS", 0), ("SUCCESS", 1)]
    assert harness.runner.runs == [("mass", "event", False)]


def test_disabled_target_named_in_an_event_is_not_run(start_harness: Callable[..., WorkerHarness]) -> None:
    harness = start_harness(FakeRunner({"mass": False}))

    harness.send(SYNC_REQUEST, event=VALID_EVENT)
    harness.finished.wait_until(lambda f: len(f.of(SYNC_REQUEST)) == 1)

    assert harness.finished.of(SYNC_REQUEST) == [("SUCCESS", 0)]
    assert harness.runner.runs == []


def test_unknown_target_reconcile_is_ignored(start_harness: Callable[..., WorkerHarness]) -> None:
    harness = start_harness(FakeRunner({"mass": True}))

    harness.send(SYNC_RECONCILE, target="nowhere", trigger="manual", force=True)
    harness.finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == 1)

    assert harness.finished.of(SYNC_RECONCILE) == [("SUCCESS", "unknown_target")]
    assert harness.runner.runs == []


def test_retryable_failure_is_retried_and_keeps_the_force_flag(
    start_harness: Callable[..., WorkerHarness],
) -> None:
    harness = start_harness(FakeRunner({"mass": True}, script=[CONNECTION_LOST]))

    harness.send(SYNC_RECONCILE, target="mass", trigger="manual", force=True)
    harness.finished.wait_until(lambda f: ("SUCCESS", "swapped") in f.of(SYNC_RECONCILE))

    assert [state for state, _ in harness.finished.of(SYNC_RECONCILE)] == ["RETRY", "SUCCESS"]
    assert harness.runner.runs == [("mass", "manual", True), ("mass", "manual", True)]


def test_non_retryable_failure_is_not_retried(start_harness: Callable[..., WorkerHarness]) -> None:
    harness = start_harness(FakeRunner({"mass": True}, script=[HELD_BY_GUARD]))

    harness.send(SYNC_RECONCILE, target="mass", trigger="beat")
    harness.finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == 1)

    assert harness.finished.of(SYNC_RECONCILE) == [("SUCCESS", "failed")]
    assert harness.runner.runs == [("mass", "beat", False)]


def test_retries_stop_after_the_configured_maximum(start_harness: Callable[..., WorkerHarness]) -> None:
    harness = start_harness(FakeRunner({"mass": True}, script=[CONNECTION_LOST] * 10), max_retries=2)

    harness.send(SYNC_RECONCILE, target="mass", trigger="beat")
    harness.finished.wait_until(lambda f: any(state == "SUCCESS" for state, _ in f.of(SYNC_RECONCILE)))

    states = [
        (state, retval if state == "SUCCESS" else None)
        for state, retval in harness.finished.of(SYNC_RECONCILE)
    ]
    assert states == [("RETRY", None), ("RETRY", None), ("SUCCESS", "failed")]
    assert len(harness.runner.runs) == 3


def test_reconcile_all_asks_for_a_beat_run_of_every_enabled_target(
    start_harness: Callable[..., WorkerHarness],
) -> None:
    harness = start_harness(FakeRunner({"mass": True, "personalized": True, "retired": False}))

    harness.send(SYNC_RECONCILE_ALL)
    harness.finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == 2)

    assert harness.finished.of(SYNC_RECONCILE_ALL) == [("SUCCESS", 2)]
    assert sorted(harness.runner.runs) == [("mass", "beat", False), ("personalized", "beat", False)]


def test_worker_consumes_tasks_sent_by_name_like_the_api_does(
    start_harness: Callable[..., WorkerHarness],
) -> None:
    harness = start_harness(FakeRunner({"mass": True}))
    sender = Celery("api_like_sender", broker=REDIS_URL, set_as_current=False)
    sender.conf.update(
        task_serializer="json",
        broker_transport_options=harness.app.conf.broker_transport_options,
    )

    sender.send_task(SYNC_REQUEST, kwargs={"event": VALID_EVENT}, queue=SYNC_QUEUE, retry=False)
    harness.finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == 1)
    sender.close()

    assert harness.runner.runs == [("mass", "event", False)]
