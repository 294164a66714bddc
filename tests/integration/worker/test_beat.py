"""The beat's RedBeat scheduler on the real Redis: stores our one entry, sends it by name, holds one lock."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from celery import Celery
from redbeat.schedulers import RedBeatScheduler, RedBeatSchedulerEntry, acquire_distributed_beat_lock

from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE_ALL
from scheduler_beat.beat import make_beat_app
from scheduler_beat.schedule import RECONCILE_ALL_ENTRY
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.redis


@pytest.fixture
def key_prefix() -> Iterator[str]:
    prefix = f"mb_test_beat_{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def beat_app(key_prefix: str, interval: float) -> Celery:
    app = make_beat_app(Settings(redis_url=REDIS_URL, beat_interval_seconds=interval), key_prefix=key_prefix)
    app.conf.broker_transport_options = {"global_keyprefix": key_prefix + "broker:"}
    return app


def start_scheduler(app: Celery) -> RedBeatScheduler:
    scheduler = RedBeatScheduler(app=app)
    acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=scheduler))
    return scheduler


def test_scheduler_stores_only_the_reconcile_all_entry_at_the_configured_interval(key_prefix: str) -> None:
    app = beat_app(key_prefix, interval=45)
    scheduler = RedBeatScheduler(app=app)

    entry = RedBeatSchedulerEntry.from_key(key_prefix + RECONCILE_ALL_ENTRY, app=app)
    stored = redis.Redis.from_url(REDIS_URL).smembers(key_prefix + ":statics")
    scheduler.close()

    assert entry.task == SYNC_RECONCILE_ALL
    assert entry.schedule.run_every.total_seconds() == 45
    assert stored == {RECONCILE_ALL_ENTRY.encode()}


def test_due_entry_is_sent_by_name_to_the_sync_queue(key_prefix: str) -> None:
    app = beat_app(key_prefix, interval=0.2)
    scheduler = start_scheduler(app)
    client = redis.Redis.from_url(REDIS_URL)
    queue_key = key_prefix + "broker:" + SYNC_QUEUE
    deadline = time.monotonic() + 10
    while not client.llen(queue_key) and time.monotonic() < deadline:
        time.sleep(min(scheduler.tick(), 0.2))
    scheduler.close()

    message = json.loads(client.lindex(queue_key, -1) or b"{}")
    client.close()
    assert message["headers"]["task"] == SYNC_RECONCILE_ALL
    assert message["headers"]["expires"] is not None
    assert message["content-type"] == "application/json"


def test_second_beat_replica_cannot_take_the_lock_while_the_first_holds_it(key_prefix: str) -> None:
    app = beat_app(key_prefix, interval=60)
    first = start_scheduler(app)

    second = RedBeatScheduler(app=beat_app(key_prefix, interval=60))
    contender = redis.Redis.from_url(REDIS_URL).lock(second.lock_key, timeout=30)
    took_it = contender.acquire(blocking=False)
    first.close()
    second.close()

    assert second.lock_key == first.lock_key
    assert took_it is False


@dataclass
class LoneBeat:
    """A resilient beat holding its lock on a private Redis that the test may kill and restart."""

    app: Celery
    scheduler: Any
    url: str
    port: int

    def schedule_is_stored(self) -> bool:
        client = redis.Redis.from_url(self.url)
        try:
            stored: set[bytes] = client.smembers(self.app.redbeat_conf.statics_key)  # type: ignore[assignment]
            return self.scheduler.lock.owned() and stored == {RECONCILE_ALL_ENTRY.encode()}
        finally:
            client.close()


@contextmanager
def beat_whose_redis_died() -> Iterator[LoneBeat]:
    """A beat that took its lock and ticked once; then its Redis was killed (nothing kept on disk)."""
    from scheduler_beat.scheduler import ResilientRedBeatScheduler
    from tests.brokers import private_redis

    with private_redis() as (url, process):
        app = make_beat_app(Settings(redis_url=url, beat_interval_seconds=60))
        scheduler = ResilientRedBeatScheduler(app=app)
        acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=scheduler))
        scheduler.tick()
        process.kill()
        process.wait()
        beat = LoneBeat(app, scheduler, url, int(url.rsplit(":", 1)[1].split("/")[0]))
        try:
            yield beat
        finally:
            with suppress(redis.exceptions.ConnectionError):  # the test's last Redis may be gone by now
                scheduler.close()


def test_beat_recovers_its_lock_and_schedule_after_redis_restarts() -> None:
    from tests.brokers import private_redis

    with beat_whose_redis_died() as beat:
        assert beat.scheduler.tick() == beat.scheduler.max_interval  # Redis down: waits, does not exit

        with private_redis(beat.port):
            beat.scheduler.tick()  # the lock is gone with Redis' memory: re-taken, schedule stored again
            assert beat.schedule_is_stored()


def test_beat_survives_redis_going_away_again_while_it_retakes_its_lock() -> None:
    # Seen in the soak: the lock was found lost right after a restart, and Redis was gone again by the
    # time the beat tried to take it back; the beat process exited.
    from tests.brokers import private_redis

    with beat_whose_redis_died() as beat:
        lock = beat.scheduler.lock
        with private_redis(beat.port) as (_url, restarted):  # empty: the lock is gone
            take_back = lock.acquire

            def redis_gone_again(*args: object, **kwargs: object) -> bool:
                restarted.kill()
                restarted.wait()
                return bool(take_back(*args, **kwargs))

            lock.acquire = redis_gone_again
            assert beat.scheduler.tick() == beat.scheduler.max_interval  # waits; does not raise
            lock.acquire = take_back

        with private_redis(beat.port):
            beat.scheduler.tick()
            assert beat.schedule_is_stored()
