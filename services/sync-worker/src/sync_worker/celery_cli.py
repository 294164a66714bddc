"""mailbanner worker / mailbanner flower: start the sync worker and its monitor with the project's options."""

from __future__ import annotations

import click

from banner_common.logging import configure_logging
from banner_common.settings import Settings, SettingsError
from banner_common.task_names import SYNC_QUEUE


def worker_argv(concurrency: int, loglevel: str, hostname: str | None = None) -> list[str]:
    """Arguments of `celery worker`: only the sync queue, prefork, one task per process at a time."""
    argv = [
        "worker",
        f"--queues={SYNC_QUEUE}",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    return argv


def flower_argv(address: str, port: int, url_prefix: str | None = None) -> list[str]:
    argv = ["flower", f"--address={address}", f"--port={port}"]
    if url_prefix:
        argv.append(f"--url_prefix={url_prefix}")
    return argv


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def register(main: click.Group) -> None:
    """Add this module's commands to the mailbanner group."""

    @main.command(
        "worker", help="Run the sync worker (Celery) on the sync queue. SIGTERM lets running swaps finish."
    )
    @click.option(
        "--concurrency",
        "-c",
        type=click.IntRange(min=1),
        default=2,
        show_default=True,
        help="Worker processes; each runs one task at a time, targets run in parallel across them.",
    )
    @click.option("--hostname", "-n", default=None, help="Node name shown in Flower.")
    @click.option("--loglevel", "-l", default=None, help="Celery log level (default: MAILBANNER_LOG_LEVEL).")
    def worker(concurrency: int, hostname: str | None, loglevel: str | None) -> None:
        from sync_worker.celery_app import make_celery

        settings = _settings()
        configure_logging(settings.log_level, settings.log_json)
        app = make_celery(settings)
        app.worker_main(worker_argv(concurrency, loglevel or settings.log_level, hostname))

    @main.command("flower", help="Run Flower, the Celery monitor, on the sync worker's broker.")
    @click.option("--address", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(1, 65535), default=5555, show_default=True)
    @click.option("--url-prefix", default=None, help="Path prefix when served behind a reverse proxy.")
    def flower(address: str, port: int, url_prefix: str | None) -> None:
        from sync_worker.celery_app import make_celery

        settings = _settings()
        configure_logging(settings.log_level, settings.log_json)
        make_celery(settings).start(flower_argv(address, port, url_prefix))
