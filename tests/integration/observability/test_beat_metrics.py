"""The beat's metrics port: once the beat of its app has started, every task it sends is counted and
its time is the newest send (what the beat-silent alert reads)."""

from __future__ import annotations

import socket
import time
import urllib.request
from dataclasses import dataclass, replace

import pytest
from celery import Celery
from celery.signals import beat_init

from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE_ALL
from scheduler_beat.beat import make_beat_app
from tests.conftest import REDIS_URL
from tests.integration.observability.ops import parse, value
from tests.integration.worker.harness import delete_prefixed_keys, unique_prefix

pytestmark = pytest.mark.redis


@dataclass(frozen=True)
class StartedBeat:
    """What celery passes as the beat_init sender: the beat service of an app."""

    app: Celery


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        body: bytes = response.read()
    return body.decode()


def test_the_beat_counts_what_it_sends_and_when_once_started() -> None:
    port = _free_port()
    settings = replace(Settings(), redis_url=REDIS_URL, beat_metrics_port=port, metrics_address="127.0.0.1")
    prefix = unique_prefix("beat")
    app = make_beat_app(settings)  # installs the beat's metrics
    app.conf.broker_transport_options = {"global_keyprefix": prefix}
    sample = ("mailbanner_beat_tasks_sent_total", {"task": SYNC_RECONCILE_ALL})
    try:
        beat_init.send(sender=StartedBeat(app))
        before = parse(_scrape(port))
        sent_after = time.time()
        for _ in range(2):
            app.send_task(SYNC_RECONCILE_ALL, queue=SYNC_QUEUE)
        after = parse(_scrape(port))
    finally:
        delete_prefixed_keys(prefix)
    assert value(after, sample[0], **sample[1]) - value(before, sample[0], **sample[1]) == 2
    assert value(after, "mailbanner_beat_last_sent_timestamp_seconds") >= sent_after
