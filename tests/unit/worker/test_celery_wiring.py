"""The worker and beat apps: settings chosen on purpose, nothing connected at build time, retry delays."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from banner_common.settings import Settings
from banner_common.task_names import SYNC_QUEUE, SYNC_RECONCILE, SYNC_RECONCILE_ALL, SYNC_REQUEST
from scheduler_beat.beat import make_beat_app
from scheduler_beat.cli import beat_argv
from scheduler_beat.schedule import RECONCILE_ALL_ENTRY, beat_schedule
from sync_worker.celery_app import TargetRunner, WorkerOptions, celery_config, make_celery, retry_countdown
from sync_worker.celery_cli import flower_argv, worker_argv

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def refuse_to_build(settings: Settings) -> TargetRunner:
    raise AssertionError("the runtime must not be built when the app is made")


def test_make_celery_builds_nothing_and_registers_the_three_tasks_by_name() -> None:
    app = make_celery(Settings(redis_url=UNREACHABLE_REDIS), runner_factory=refuse_to_build)

    assert {SYNC_REQUEST, SYNC_RECONCILE, SYNC_RECONCILE_ALL} <= set(app.tasks)


def test_worker_accepts_and_sends_only_json() -> None:
    conf = make_celery(Settings(redis_url=UNREACHABLE_REDIS)).conf

    assert conf.accept_content == ["json"]
    assert (conf.task_serializer, conf.result_serializer, conf.event_serializer) == ("json", "json", "json")


def test_worker_acknowledges_late_and_takes_one_message_at_a_time() -> None:
    conf = make_celery(Settings(redis_url=UNREACHABLE_REDIS)).conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is True
    assert conf.task_ignore_result is True
    assert conf.broker_connection_retry_on_startup is True


def test_visibility_timeout_outlasts_the_longest_task_and_the_largest_retry_delay() -> None:
    options = WorkerOptions()
    conf = make_celery(Settings(redis_url=UNREACHABLE_REDIS), options=options).conf

    visibility = conf.broker_transport_options["visibility_timeout"]
    assert conf.task_soft_time_limit < conf.task_time_limit < visibility
    assert options.retry_backoff_max_seconds < visibility
    # A killed worker's lock blocks its target for at most one TTL, well under a beat period or two.
    assert options.lock_ttl_seconds <= 60


def test_every_sync_task_is_routed_to_the_sync_queue_and_visible_in_flower() -> None:
    conf = make_celery(Settings(redis_url=UNREACHABLE_REDIS)).conf

    assert conf.task_routes == {
        name: {"queue": SYNC_QUEUE} for name in (SYNC_REQUEST, SYNC_RECONCILE, SYNC_RECONCILE_ALL)
    }
    assert conf.task_default_queue == SYNC_QUEUE
    assert conf.worker_send_task_events is True
    assert conf.task_send_sent_event is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"visibility_timeout_seconds": 600.0}, "visibility timeout"),
        ({"lock_ttl_seconds": 0.5}, "lock TTL"),
        ({"soft_time_limit_seconds": 700.0}, "soft time limit"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_inconsistent_worker_options_are_refused(change: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_celery(Settings(redis_url=UNREACHABLE_REDIS), options=replace(WorkerOptions(), **change))


def test_retry_delay_doubles_per_attempt_within_its_jitter_band_and_is_capped() -> None:
    options = WorkerOptions(retry_backoff_base_seconds=5, retry_backoff_max_seconds=300)

    lowest = [retry_countdown(n, options, rng=lambda: 0.0) for n in range(8)]
    highest = [retry_countdown(n, options, rng=lambda: 1.0) for n in range(8)]

    assert highest == [5, 10, 20, 40, 80, 160, 300, 300]
    assert lowest == [2.5, 5, 10, 20, 40, 80, 150, 150]


def test_beat_sends_reconcile_all_by_name_at_the_configured_interval() -> None:
    schedule = beat_schedule(Settings(beat_interval_seconds=42))

    assert list(schedule) == [RECONCILE_ALL_ENTRY]
    entry = schedule[RECONCILE_ALL_ENTRY]
    assert entry["task"] == SYNC_RECONCILE_ALL
    assert entry["schedule"].run_every == dt.timedelta(seconds=42)
    assert entry["options"] == {"queue": SYNC_QUEUE, "expires": 42}


def test_beat_uses_redbeat_with_its_lock_on_the_settings_redis() -> None:
    conf = make_beat_app(Settings(redis_url=UNREACHABLE_REDIS)).conf

    assert conf.beat_scheduler == "scheduler_beat.scheduler:ResilientRedBeatScheduler"
    assert conf.redbeat_redis_url == UNREACHABLE_REDIS
    assert conf.redbeat_lock_timeout > conf.beat_max_loop_interval
    assert conf.accept_content == ["json"]
    assert conf.result_expires is None


def test_command_lines_run_the_worker_on_the_sync_queue_only() -> None:
    assert worker_argv(3, "INFO") == [
        "worker",
        f"--queues={SYNC_QUEUE}",
        "--pool=prefork",
        "--concurrency=3",
        "--loglevel=INFO",
    ]
    assert worker_argv(1, "DEBUG", "sync-1@host")[-1] == "--hostname=sync-1@host"
    assert flower_argv("127.0.0.1", 5555) == ["flower", "--address=127.0.0.1", "--port=5555"]
    assert beat_argv("INFO") == ["beat", "--loglevel=INFO"]


def test_worker_options_come_from_settings_and_are_checked() -> None:
    settings = Settings.from_env(
        {"MAILBANNER_SYNC_TIME_LIMIT_SECONDS": "120", "MAILBANNER_SYNC_SOFT_TIME_LIMIT_SECONDS": "100"}
    )
    options = WorkerOptions.from_settings(settings)
    assert (options.soft_time_limit_seconds, options.time_limit_seconds) == (100, 120)
    with pytest.raises(ValueError, match="lock TTL"):
        WorkerOptions.from_settings(Settings.from_env({"MAILBANNER_SYNC_LOCK_TTL_SECONDS": "0.5"}))


def test_a_pool_process_grown_past_the_memory_guard_is_replaced() -> None:
    guarded = celery_config(Settings.from_env({"MAILBANNER_WORKER_MAX_MEMORY_MB": "300"}), WorkerOptions())
    unguarded = celery_config(Settings.from_env({"MAILBANNER_WORKER_MAX_MEMORY_MB": "0"}), WorkerOptions())

    assert guarded["worker_max_memory_per_child"] == 300 * 1024
    assert "worker_max_memory_per_child" not in unguarded
