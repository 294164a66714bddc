"""mailbanner beat: run the scheduler beat (RedBeat), safe to start on several replicas."""

from __future__ import annotations

import click

from banner_common.logging import configure_logging
from banner_common.settings import Settings, SettingsError


def beat_argv(loglevel: str) -> list[str]:
    """Arguments of `celery beat`; the scheduler and its intervals come from the app's settings."""
    return ["beat", f"--loglevel={loglevel}"]


def register(main: click.Group) -> None:
    """Add the beat command to the mailbanner group."""

    @main.command(
        "beat",
        help="Run the beat: asks for a reconcile of every enabled target every "
        "MAILBANNER_BEAT_INTERVAL_SECONDS. Several replicas are safe: one holds the Redis lock and "
        "schedules, the others wait.",
    )
    @click.option("--loglevel", "-l", default=None, help="Celery log level (default: MAILBANNER_LOG_LEVEL).")
    def beat(loglevel: str | None) -> None:
        from scheduler_beat.beat import make_beat_app

        try:
            settings = Settings.from_env()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc
        configure_logging(settings.log_level, settings.log_json)
        make_beat_app(settings).start(beat_argv(loglevel or settings.log_level))
