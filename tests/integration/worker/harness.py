"""A real sync worker in a test thread on an isolated broker key prefix, and what it finished."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from tests.conftest import REDIS_URL


@dataclass
class Finished:
    """Tasks the worker finished: (task name, state, return value), in order."""

    tasks: list[tuple[str, str, Any]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def record(self, sender: Any = None, state: str = "", retval: Any = None, **_: Any) -> None:
        with self.changed:
            self.tasks.append((sender.name, state, retval))
            self.changed.notify_all()

    def of(self, name: str) -> list[tuple[str, Any]]:
        return [(state, retval) for task, state, retval in self.tasks if task == name]

    def wait_until(self, predicate: Callable[[Finished], bool], timeout: float = 20.0) -> None:
        with self.changed:
            done = self.changed.wait_for(lambda: predicate(self), timeout)
            assert done, f"worker finished only {self.tasks}"


def unique_prefix(kind: str) -> str:
    return f"mb_test_{kind}_{uuid.uuid4().hex[:10]}:"


def delete_prefixed_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@contextmanager
def finished_tasks() -> Iterator[Finished]:
    finished = Finished()
    task_postrun.connect(finished.record, weak=False)
    try:
        yield finished
    finally:
        task_postrun.disconnect(finished.record)


@contextmanager
def running_worker(app: Celery, broker_prefix: str) -> Iterator[None]:
    """A solo-pool worker thread whose broker keys all start with `broker_prefix` (tests share db 15)."""
    transport = {**app.conf.broker_transport_options, "global_keyprefix": broker_prefix}
    app.conf.broker_transport_options = transport
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30):
        yield
