"""The beat's RedBeat scheduler on the real Redis: stores our one entry, sends it by name, holds one lock."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

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


def test_beat_recovers_its_lock_and_schedule_after_redis_restarts() -> None:
    from scheduler_beat.scheduler import ResilientRedBeatScheduler
    from tests.brokers import private_redis

    with private_redis() as (url, process):
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        app = make_beat_app(Settings(redis_url=url, beat_interval_seconds=60))
        scheduler = ResilientRedBeatScheduler(app=app)
        acquire_distributed_beat_lock(sender=SimpleNamespace(scheduler=scheduler))
        scheduler.tick()

        process.kill()
        process.wait()
        assert scheduler.tick() == scheduler.max_interval  # Redis down: the beat waits, it does not exit

        with private_redis(port):
            scheduler.tick()  # the lock is gone with Redis' memory: re-taken, schedule stored again
            client = redis.Redis.from_url(url)
            assert scheduler.lock.owned()
            assert client.exists(scheduler.lock_key)
            assert client.smembers(app.redbeat_conf.statics_key) == {RECONCILE_ALL_ENTRY.encode()}
            scheduler.close()
            client.close()
