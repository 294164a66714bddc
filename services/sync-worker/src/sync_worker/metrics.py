"""The worker's Prometheus metrics: run outcomes, durations, rows, change-to-applied latency, queue length.

Counters live in the prefork children that run the tasks, so the `mailbanner worker` process shares a
PROMETHEUS_MULTIPROC_DIR with them (made at start-up when unset, removed at shutdown) and serves their
sum on MAILBANNER_WORKER_METRICS_PORT. Metric objects are made on first use, after that choice.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, sessionmaker

from banner_common import metrics as names
from banner_common.logging import get_logger
from banner_common.models import ScheduleChange, SyncRun
from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE
from sync_worker.runs import FinishedRun

if TYPE_CHECKING:
    from celery import Celery
    from prometheus_client import Counter, Histogram
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector

log = get_logger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# kombu's Redis transport keeps a list per priority step; messages without a priority go to the first.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


@dataclass(frozen=True)
class WorkerMetrics:
    runs: Counter
    run_duration: Histogram
    rows_deleted: Counter
    rows_inserted: Counter
    change_applied_latency: Histogram


@functools.cache
def worker_metrics() -> WorkerMetrics:
    from prometheus_client import Counter, Histogram

    return WorkerMetrics(
        runs=Counter(names.SYNC_RUNS, "Sync runs finished, by target and outcome", ["target", "outcome"]),
        run_duration=Histogram(
            names.SYNC_RUN_DURATION, "Duration of a sync run as recorded in sync_runs",
            ["target", "outcome"], buckets=names.SWAP_DURATION_BUCKETS,
        ),
        rows_deleted=Counter(
            names.SYNC_ROWS_DELETED, "Rows deleted from target windows by swaps", ["target"]
        ),
        rows_inserted=Counter(
            names.SYNC_ROWS_INSERTED, "Rows inserted into target windows by swaps", ["target"]
        ),
        change_applied_latency=Histogram(
            names.SYNC_CHANGE_APPLIED_LATENCY,
            "From the commit of a schedule change to the commit of the swap that carried it",
            ["target"], buckets=names.LATENCY_BUCKETS,
        ),
    )  # fmt: skip


def observe_run(sessions: sessionmaker[Session], run: FinishedRun) -> None:
    """Count a finished run; never lets a metrics problem fail the run."""
    try:
        recorded = worker_metrics()
        recorded.runs.labels(run.target, run.outcome).inc()
        duration = max(0.0, (run.finished_at - run.started_at).total_seconds())
        recorded.run_duration.labels(run.target, run.outcome).observe(duration)
        if run.outcome != "swapped":
            return
        recorded.rows_deleted.labels(run.target).inc(run.rows_deleted)
        recorded.rows_inserted.labels(run.target).inc(run.rows_inserted)
        with sessions() as session:
            for latency in carried_change_latencies(session, run):
                recorded.change_applied_latency.labels(run.target).observe(latency)
    except Exception as exc:
        log.warning("sync_metrics_failed", run_id=run.id, error=f"{type(exc).__name__}: {exc}")


def carried_change_latencies(session: Session, run: FinishedRun) -> list[float]:
    """Seconds from each change this swap carried (ids after the target's previous claim, up to this
    run's) to the swap's commit."""
    if run.applied_change_id is None:
        return []
    previous = session.scalar(
        select(func.max(SyncRun.applied_change_id)).where(SyncRun.target == run.target, SyncRun.id < run.id)
    )
    involves = (literal(",") + ScheduleChange.targets + literal(",")).like(f"%,{run.target},%")
    committed = session.scalars(
        select(ScheduleChange.committed_at).where(
            ScheduleChange.id > (previous or 0), ScheduleChange.id <= run.applied_change_id, involves
        )
    ).all()
    return [max(0.0, (run.finished_at - moment).total_seconds()) for moment in committed]


class QueueLengthCollector:
    """Messages waiting in the broker's sync queue, read from Redis at scrape time."""

    def __init__(self, redis_client: Any, queue: str = SYNC_QUEUE, key_prefix: str = "") -> None:
        self._redis = redis_client
        self._queue = queue
        self._prefix = key_prefix

    def keys(self) -> list[str]:
        return [
            f"{self._prefix}{self._queue}{PRIORITY_SEPARATOR + str(step) if step else ''}"
            for step in PRIORITY_STEPS
        ]

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        try:
            waiting = sum(int(self._redis.llen(key)) for key in self.keys())
        except Exception as exc:  # the broker being down is visible elsewhere; the scrape still answers
            log.warning("metrics_queue_length_unavailable", error=str(exc))
            return
        gauge = GaugeMetricFamily(names.SYNC_QUEUE_LENGTH, "Messages waiting in the broker", labels=["queue"])
        gauge.add_metric([self._queue], waiting)
        yield gauge


def exposition(extra: Iterable[Any] = ()) -> Collector:
    """What the metrics port serves: every process's counters (one process's without the multiprocess
    directory) and the scrape-time collectors."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Forward(REGISTRY))
    for collector in extra:
        registry.register(collector)
    return registry


class _Forward:
    """Serves another registry's metrics from this one (a registry cannot be registered twice)."""

    def __init__(self, source: Any) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        yield from self._source.collect()

    def describe(self) -> list[Metric]:
        return []


def serve_metrics(port: int, address: str, registry: Collector) -> Any:
    """Start the metrics HTTP server in a daemon thread; returns the server (None if the port is taken)."""
    from prometheus_client import start_http_server

    try:
        server, _thread = start_http_server(port, addr=address, registry=registry)
    except OSError as exc:  # another worker on this host has it: run on, without a metrics port
        log.warning("metrics_port_unavailable", port=port, error=str(exc))
        return None
    log.info("metrics_serving", port=server.server_port, address=address)
    return server


def _use_multiprocess_dir() -> str | None:
    """Make sure the prefork children write their counters to a shared directory; returns one we made."""
    made = None
    if not os.environ.get(MULTIPROC_ENV):
        made = tempfile.mkdtemp(prefix="mailbanner-worker-metrics-")
        os.environ[MULTIPROC_ENV] = made
    import prometheus_client.values as values

    # prometheus_client chose its value class when first imported (maybe before the variable was set,
    # by another service's module loaded with the mailbanner command); metric objects made from now on,
    # in the children, must write to the directory.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return made


def install_worker_metrics(
    app: Celery, settings: Settings, redis_factory: Callable[[str], Any] | None = None
) -> None:
    """Serve the metrics port from a prefork worker of `app` (`mailbanner worker`) once it starts."""
    from celery.signals import worker_init, worker_process_shutdown, worker_shutdown

    made: list[str] = []
    servers: list[Any] = []

    def _started(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app or not settings.worker_metrics_port:
            return
        # Only `mailbanner worker` (prefork) serves the port; in-process solo workers (tests) call
        # exposition() and serve_metrics() themselves.
        if "prefork" not in str(getattr(sender, "pool_cls", "")).lower():
            return
        created = _use_multiprocess_dir()
        if created:
            made.append(created)
        client = (redis_factory or _redis)(settings.redis_url)
        registry = exposition([QueueLengthCollector(client)])
        server = serve_metrics(settings.worker_metrics_port, settings.metrics_address, registry)
        if server is not None:
            servers.append(server)

    def _child_stopped(pid: int | None = None, **_: Any) -> None:
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]

    def _stopped(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app:
            return
        for server in servers:
            server.shutdown()
        for directory in made:
            shutil.rmtree(directory, ignore_errors=True)

    worker_init.connect(_started, weak=False)
    worker_process_shutdown.connect(_child_stopped, weak=False)
    worker_shutdown.connect(_stopped, weak=False)


def _redis(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
