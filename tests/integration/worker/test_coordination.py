"""TargetCoordinator against the real Redis: coalescing, exclusion, forced runs, lock release and expiry."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis

from sync_worker.coordination import TargetCoordinator
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.redis


@dataclass
class Call:
    target: str
    trigger: str
    force: bool
    started: float = 0.0
    ended: float = 0.0


@dataclass
class RecordingRun:
    """A stand-in for reconcile: records each call; a call can be held until the test lets it finish."""

    calls: list[Call] = field(default_factory=list)
    hold_first: bool = False
    entered: threading.Event = field(default_factory=threading.Event)
    proceed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, target: str, trigger: str, force: bool) -> str:
        call = Call(target, trigger, force, started=time.monotonic())
        with self.lock:
            first = not self.calls
            self.calls.append(call)
        if first and self.hold_first:
            self.entered.set()
            assert self.proceed.wait(10), "test never let the held run finish"
        call.ended = time.monotonic()
        return f"{target}:{len(self.calls)}"


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client: redis.Redis) -> Iterator[str]:
    prefix = f"mb_test_coord_{uuid.uuid4().hex[:10]}:"
    yield prefix
    for key in redis_client.scan_iter(match=prefix + "*"):
        redis_client.delete(key)


def start_held_request(
    coordinator: TargetCoordinator[str], target: str
) -> tuple[threading.Thread, list[str]]:
    results: list[str] = []

    def request() -> None:
        results.extend(coordinator.request(target, "event"))

    thread = threading.Thread(target=request)
    thread.start()
    return thread, results


def test_burst_of_requests_during_a_run_costs_exactly_one_follow_up_run(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    run = RecordingRun(hold_first=True)
    coordinator = TargetCoordinator(redis_client, run, key_prefix=key_prefix)
    holder, holder_results = start_held_request(coordinator, "mass")
    assert run.entered.wait(10)

    burst = [coordinator.request("mass", "event") for _ in range(100)]
    run.proceed.set()
    holder.join(10)

    assert burst == [[]] * 100
    assert [c.target for c in run.calls] == ["mass", "mass"]
    assert holder_results == ["mass:1", "mass:2"]
    assert redis_client.exists(coordinator.lock_key("mass"), coordinator.pending_key("mass")) == 0


def test_request_for_another_target_runs_while_the_first_target_is_running(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    run = RecordingRun(hold_first=True)
    coordinator = TargetCoordinator(redis_client, run, key_prefix=key_prefix)
    holder, _ = start_held_request(coordinator, "mass")
    assert run.entered.wait(10)

    other = coordinator.request("personalized", "event")
    run.proceed.set()
    holder.join(10)

    assert other == ["personalized:2"]
    assert [c.target for c in run.calls] == ["mass", "personalized"]


def test_concurrent_requesters_never_run_one_target_twice_at_once(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    run = RecordingRun()
    active = 0
    most_active = 0
    counter_lock = threading.Lock()

    def slow_run(target: str, trigger: str, force: bool) -> str:
        nonlocal active, most_active
        with counter_lock:
            active += 1
            most_active = max(most_active, active)
        try:
            time.sleep(0.002)  # widen the window in which an overlap would show
            return run(target, trigger, force)
        finally:
            with counter_lock:
                active -= 1

    def requester() -> None:
        # One client and coordinator per thread, like separate worker processes.
        client = redis.Redis.from_url(REDIS_URL)
        coordinator = TargetCoordinator(client, slow_run, key_prefix=key_prefix)
        for _ in range(25):
            coordinator.request("mass", "event")
        client.close()

    threads = [threading.Thread(target=requester) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    intervals = sorted((c.started, c.ended) for c in run.calls)
    overlaps = [(a, b) for a, b in itertools.pairwise(intervals) if b[0] < a[1]]
    assert overlaps == []
    assert most_active == 1
    assert 1 <= len(run.calls) <= 200
    checker = TargetCoordinator(redis_client, run, key_prefix=key_prefix)
    assert not checker.has_pending("mass"), "a request was left without a run"
    assert redis_client.exists(checker.lock_key("mass")) == 0


def test_forced_request_during_a_run_makes_the_follow_up_run_forced(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    run = RecordingRun(hold_first=True)
    coordinator = TargetCoordinator(redis_client, run, key_prefix=key_prefix)
    holder, _ = start_held_request(coordinator, "mass")
    assert run.entered.wait(10)

    coordinator.request("mass", "beat")
    coordinator.request("mass", "manual", force=True)
    coordinator.request("mass", "event", force=False)
    run.proceed.set()
    holder.join(10)

    assert [(c.trigger, c.force) for c in run.calls] == [("event", False), ("manual", True)]


def test_lock_is_released_when_the_run_raises(redis_client: redis.Redis, key_prefix: str) -> None:
    def failing_run(target: str, trigger: str, force: bool) -> str:
        raise RuntimeError("target unreachable")

    failing = TargetCoordinator(redis_client, failing_run, key_prefix=key_prefix)
    with pytest.raises(RuntimeError, match="target unreachable"):
        failing.request("mass", "event")

    assert redis_client.exists(failing.lock_key("mass")) == 0
    run = RecordingRun()
    assert TargetCoordinator(redis_client, run, key_prefix=key_prefix).request("mass", "event") == ["mass:1"]


def test_lock_of_a_crashed_holder_expires_and_the_target_runs_again(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    run = RecordingRun()
    coordinator = TargetCoordinator(redis_client, run, key_prefix=key_prefix, lock_ttl_seconds=0.3)
    crashed_token = coordinator.try_acquire("mass")  # taken and never released, as by a killed process
    assert crashed_token is not None

    assert coordinator.request("mass", "event") == []
    assert redis_client.pttl(coordinator.lock_key("mass")) > 0
    deadline = time.monotonic() + 10
    while redis_client.exists(coordinator.lock_key("mass")) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert coordinator.request("mass", "beat") == ["mass:1"]
    assert [(c.trigger, c.force) for c in run.calls] == [("event", False)]


def test_lock_is_kept_alive_while_a_run_outlasts_its_ttl(redis_client: redis.Redis, key_prefix: str) -> None:
    held_after_ttl: list[bool] = []

    def long_run(target: str, trigger: str, force: bool) -> str:
        time.sleep(1.0)  # more than three lock TTLs
        held_after_ttl.append(bool(redis_client.exists(coordinator.lock_key(target))))
        return "done"

    coordinator = TargetCoordinator(
        redis_client, long_run, key_prefix=key_prefix, lock_ttl_seconds=0.3, refresh_every_seconds=0.05
    )
    assert coordinator.request("mass", "event") == ["done"]
    assert held_after_ttl == [True]
    assert redis_client.exists(coordinator.lock_key("mass")) == 0


def test_expired_holder_cannot_release_the_lock_of_the_next_holder(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    coordinator = TargetCoordinator(redis_client, RecordingRun(), key_prefix=key_prefix)
    redis_client.set(coordinator.lock_key("mass"), "someone-else", px=60_000)

    assert coordinator.release("mass", "my-old-token") is False
    assert redis_client.get(coordinator.lock_key("mass")) == b"someone-else"


def test_queued_requests_already_covered_by_a_later_run_cost_no_run(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    run = RecordingRun()
    coordinator = TargetCoordinator(redis_client, run, key_prefix=key_prefix)
    # A burst of events published before the worker got to them: each stamped when handled.
    stamps = [coordinator.clock() for _ in range(50)]
    time.sleep(0.002)  # Redis' clock has microsecond resolution; keep the run strictly later

    first = coordinator.request("mass", "event", requested_at=stamps[0])
    rest = [coordinator.request("mass", "event", requested_at=stamp) for stamp in stamps[1:]]
    later = coordinator.request("mass", "event", requested_at=coordinator.clock())

    assert first == ["mass:1"]
    assert rest == [[]] * 49
    assert later == ["mass:2"]  # a request made after the run started is not covered by it


def test_forced_request_is_never_skipped_as_covered(redis_client: redis.Redis, key_prefix: str) -> None:
    run = RecordingRun()
    coordinator = TargetCoordinator(redis_client, run, key_prefix=key_prefix)
    stamp = coordinator.clock()
    time.sleep(0.002)
    coordinator.request("mass", "event", requested_at=stamp)
    forced = coordinator.request("mass", "manual", force=True, requested_at=stamp)
    assert forced == ["mass:2"]
    assert run.calls[-1].force is True
