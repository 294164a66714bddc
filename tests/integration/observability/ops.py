"""An API and a real sync worker over one banner database, with SQLite stand-in targets, and scrapes."""

from __future__ import annotations

import datetime as dt
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE
from sync_worker.celery_app import WorkerOptions, make_celery
from sync_worker.metrics import QueueLengthCollector, exposition, serve_metrics
from tests.conftest import REDIS_URL
from tests.factories import register_banner
from tests.integration.worker.harness import (
    delete_prefixed_keys,
    finished_tasks,
    running_worker,
    unique_prefix,
)

TARGETS = ("personalized", "mass")
TARGETS_TOML = """
[targets.personalized]
url = "sqlite:///{dir}/personalized.db"
table = "NL_FOOTER_BANNER"
window_days_back = 1
window_days_ahead = 20

[targets.mass]
url = "sqlite:///{dir}/mass.db"
table = "MASS_BANNER"
window_days_back = 1
window_days_ahead = 20
"""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition, keyed by sample name and sorted labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 for a labelled child not made yet (a counter that never counted)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape_api(client: FlaskClient, **headers: str) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


@dataclass
class Worker:
    """A real Celery sync worker (solo pool, in a thread) and its metrics port."""

    settings: Settings
    prefix: str
    port: int

    def scrape(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as response:
            body: bytes = response.read()
        return body.decode()

    def reconcile(self, *targets: str) -> list[Any]:
        """Start the worker, have it reconcile each target once, stop it; the tasks' return values."""
        options = WorkerOptions(coordination_key_prefix=self.prefix + "coord:")
        app = make_celery(self.settings, options=options)
        with finished_tasks() as finished, running_worker(app, self.prefix + "broker:"):
            for target in targets:
                app.send_task(
                    SYNC_RECONCILE, kwargs={"target": target, "trigger": "manual"}, queue=SYNC_QUEUE
                )
            finished.wait_until(lambda f: len(f.of(SYNC_RECONCILE)) == len(targets), timeout=60)
        return [retval for _state, retval in finished.of(SYNC_RECONCILE)]


@contextmanager
def worker_with_metrics(settings: Settings) -> Iterator[Worker]:
    prefix = unique_prefix("obs")
    client = redis.Redis.from_url(REDIS_URL)
    registry = exposition([QueueLengthCollector(client, key_prefix=prefix + "broker:")])
    server = serve_metrics(0, "127.0.0.1", registry)
    assert server is not None
    try:
        yield Worker(settings, prefix, server.server_port)
    finally:
        server.shutdown()
        client.close()
        delete_prefixed_keys(prefix)


def place(client: FlaskClient, day: dt.date, targets: list[str], title: str = "Winter sale") -> int:
    """Register a banner and schedule it on `day` for `targets` through the API; the banner id."""
    registered = register_banner(client, title=title)
    assert registered.status_code == 201, registered.json
    banner_id: int = registered.json["id"]
    placed = client.post(
        "/api/v1/schedule",
        json={"banner_id": banner_id, "start_date": day.isoformat(), "targets": targets},
    )
    assert placed.status_code == 201, placed.json
    return banner_id


def resume(client: FlaskClient, *targets: str) -> None:
    for target in targets:
        assert client.post(f"/api/v1/sync/targets/{target}/resume").status_code == 200


def services(app: Flask) -> Any:
    return app.extensions["mailbanner"]
