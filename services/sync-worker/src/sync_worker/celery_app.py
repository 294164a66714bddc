"""The sync worker's Celery app: built from settings without connecting; engines come lazily per process."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from celery import Celery
from kombu.transport import redis as kombu_redis

from banner_common.logging import get_logger
from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE, SYNC_RECONCILE_ALL, SYNC_REQUEST
from sync_worker.coordination import TargetCoordinator

if TYPE_CHECKING:
    from sync_worker.bootstrap import Runtime

log = get_logger(__name__)


MIN_LOCK_TTL_SECONDS = 1.0


@dataclass(frozen=True)
class WorkerOptions:
    """Time limits, retries and coordination knobs of the worker (see docs/celery.md for the reasoning)."""

    soft_time_limit_seconds: float = 600.0
    time_limit_seconds: float = 660.0
    max_retries: int = 8
    retry_backoff_base_seconds: float = 5.0
    retry_backoff_max_seconds: float = 300.0
    lock_ttl_seconds: float = 60.0
    visibility_timeout_seconds: float = 3600.0
    coordination_key_prefix: str = "mailbanner:sync:"

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        options = cls(
            soft_time_limit_seconds=settings.sync_soft_time_limit_seconds,
            time_limit_seconds=settings.sync_time_limit_seconds,
            max_retries=settings.sync_max_retries,
            retry_backoff_base_seconds=settings.sync_retry_backoff_base_seconds,
            retry_backoff_max_seconds=settings.sync_retry_backoff_max_seconds,
            lock_ttl_seconds=settings.sync_lock_ttl_seconds,
            visibility_timeout_seconds=settings.broker_visibility_timeout_seconds,
        )
        options.validate()
        return options

    def validate(self) -> None:
        if not 0 < self.soft_time_limit_seconds < self.time_limit_seconds:
            raise ValueError("the soft time limit must be positive and below the hard time limit")
        if self.lock_ttl_seconds < MIN_LOCK_TTL_SECONDS:
            # The holder renews the lock every TTL/10; a TTL this short would be renewed too often.
            raise ValueError(f"the lock TTL must be at least {MIN_LOCK_TTL_SECONDS:g} s")
        if self.visibility_timeout_seconds <= max(self.time_limit_seconds, self.retry_backoff_max_seconds):
            # With the Redis broker an unacked message comes back after the visibility timeout: a
            # shorter one would redeliver running tasks and countdown retries a second time.
            raise ValueError("the visibility timeout must exceed the time limit and the largest retry delay")
        if self.max_retries < 0:
            raise ValueError("max_retries cannot be negative")


class RunReport(Protocol):
    """What a task needs to know of one reconcile run (sync_worker.reconcile.RunResult fits)."""

    @property
    def outcome(self) -> str: ...

    @property
    def retryable(self) -> bool: ...

    @property
    def error(self) -> str | None: ...


class TargetRunner(Protocol):
    """The reconcile core as the tasks see it: the configured targets and a way to run one."""

    def targets(self) -> Mapping[str, bool]:
        """Configured target names, each mapped to whether it is enabled."""
        ...

    def run(self, target: str, trigger: str, force: bool) -> RunReport: ...

    def close(self) -> None: ...


RunnerFactory = Callable[[Settings], TargetRunner]
RedisFactory = Callable[[str], Any]


class ReconcileRunner:
    """Runs sync_worker.reconcile.reconcile with the engines of a bootstrapped runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def targets(self) -> Mapping[str, bool]:
        return {name: spec.enabled for name, spec in self._runtime.targets.items()}

    def run(self, target: str, trigger: str, force: bool) -> RunReport:
        from sync_worker.reconcile import reconcile

        runtime = self._runtime
        return reconcile(
            runtime.targets[target],
            banner_sessions=runtime.banner_sessions,
            target_engine=runtime.target_engines[target],
            settings=runtime.settings,
            trigger=trigger,
            force=force,
        )

    def close(self) -> None:
        self._runtime.dispose()


def bootstrap_runner(settings: Settings) -> TargetRunner:
    """The production runner: engines for the banner database and every target (lazy connections)."""
    from sync_worker.bootstrap import bootstrap

    return ReconcileRunner(bootstrap(settings))


def redis_from_url(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=30)


class WorkerContext:
    """What the tasks of one worker process share, built on first use in that process.

    Nothing is built in make_celery (which must not connect) nor in the prefork parent, whose
    sockets and engine pools would be shared with every forked child; the pid check rebuilds after
    a fork.
    """

    def __init__(
        self,
        settings: Settings,
        options: WorkerOptions,
        runner_factory: RunnerFactory = bootstrap_runner,
        redis_factory: RedisFactory = redis_from_url,
    ) -> None:
        self.settings = settings
        self.options = options
        self._runner_factory = runner_factory
        self._redis_factory = redis_factory
        self._lock = threading.Lock()
        self._built: tuple[int, TargetRunner, TargetCoordinator[RunReport]] | None = None

    def _state(self) -> tuple[TargetRunner, TargetCoordinator[RunReport]]:
        with self._lock:
            if self._built is None or self._built[0] != os.getpid():
                runner = self._runner_factory(self.settings)
                coordinator: TargetCoordinator[RunReport] = TargetCoordinator(
                    self._redis_factory(self.settings.redis_url),
                    runner.run,
                    key_prefix=self.options.coordination_key_prefix,
                    lock_ttl_seconds=self.options.lock_ttl_seconds,
                )
                self._built = (os.getpid(), runner, coordinator)
                log.info("sync_worker_bootstrapped", targets=sorted(runner.targets()))
            return self._built[1], self._built[2]

    @property
    def runner(self) -> TargetRunner:
        return self._state()[0]

    @property
    def coordinator(self) -> TargetCoordinator[RunReport]:
        return self._state()[1]

    def close(self) -> None:
        with self._lock:
            if self._built is not None and self._built[0] == os.getpid():
                self._built[1].close()
            self._built = None


class _ResilientQoS(kombu_redis.QoS):
    """kombu's Redis QoS, except that a channel whose broker connection is gone cannot kill the worker.

    On a lost broker connection kombu 5.7 requeues the messages of running (late-ack) tasks while it
    closes the channel, and acknowledges a task that ends afterwards, both through the connection it
    has already dropped: AttributeError ('NoneType' object has no attribute 'hostname' / 'client'),
    which Celery treats as unrecoverable, and the whole worker exits. The messages are still in
    Redis' unacked set, from which the visibility timeout brings them back (a restarted Redis that
    kept nothing loses them anyway): a task then runs twice, which reconcile is made for, and the
    beat covers a lost one.
    """

    def restore_unacked(self, client: Any = None) -> Any:
        try:
            return super().restore_unacked(client)  # type: ignore[no-untyped-call]
        except Exception as exc:
            log.warning("broker_unacked_restore_skipped", error=f"{type(exc).__name__}: {exc}")
            self._delivered.clear()
            return None

    def ack(self, delivery_tag: Any) -> None:
        try:
            super().ack(delivery_tag)  # type: ignore[no-untyped-call]
        except AttributeError as exc:  # the channel's connection was closed under it
            log.warning("broker_ack_on_closed_channel_skipped", error=str(exc))


class _ResilientChannel(kombu_redis.Channel):
    QoS = _ResilientQoS


class ResilientRedisTransport(kombu_redis.Transport):
    """The Redis transport of the worker: kombu's, with _ResilientQoS."""

    Channel = _ResilientChannel


def retry_countdown(retries: int, options: WorkerOptions, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: between half and all of base * 2**retries, capped.

    The jitter spreads the retries of several targets that failed on the same outage.
    """
    ceiling = min(options.retry_backoff_max_seconds, options.retry_backoff_base_seconds * 2.0**retries)
    return ceiling / 2 + rng() * ceiling / 2


def celery_config(settings: Settings, options: WorkerOptions) -> dict[str, Any]:
    """Every Celery setting of the worker; docs/celery.md explains each choice."""
    task_names = (SYNC_REQUEST, SYNC_RECONCILE, SYNC_RECONCILE_ALL)
    memory_guard = (
        {"worker_max_memory_per_child": settings.worker_max_memory_mb * 1024}  # Celery counts KiB
        if settings.worker_max_memory_mb
        else {}
    )
    return {
        **memory_guard,
        "broker_url": settings.redis_url,
        "broker_transport": ResilientRedisTransport,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": options.visibility_timeout_seconds},
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_soft_time_limit": options.soft_time_limit_seconds,
        "task_time_limit": options.time_limit_seconds,
        "task_default_queue": SYNC_QUEUE,
        "task_routes": {name: {"queue": SYNC_QUEUE} for name in task_names},
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "worker_hijack_root_logger": False,
        "enable_utc": True,
        "timezone": "UTC",
    }


def make_celery(
    settings: Settings,
    *,
    options: WorkerOptions | None = None,
    runner_factory: RunnerFactory = bootstrap_runner,
    redis_factory: RedisFactory = redis_from_url,
) -> Celery:
    """The worker's Celery app with its tasks registered. Does not connect to anything."""
    from sync_worker.tasks import register_tasks

    options = options or WorkerOptions.from_settings(settings)
    options.validate()
    app = Celery("sync_worker", set_as_current=False)
    app.conf.update(celery_config(settings, options))
    register_tasks(app, WorkerContext(settings, options, runner_factory, redis_factory))
    return app
