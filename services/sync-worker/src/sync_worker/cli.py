"""mailbanner subcommands of the sync worker: run a sync in-process, list and check targets."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from banner_common.delivery import DayWindow, today_in
from banner_common.logging import configure_logging
from banner_common.models import TargetState
from banner_common.settings import Settings, SettingsError
from banner_common.targets import TargetsFileError
from sync_worker.bootstrap import Runtime, bootstrap
from sync_worker.check import check_target
from sync_worker.dialects import dialect_for
from sync_worker.reconcile import Outcome, reconcile
from sync_worker.standins import NotAStandin, create_standin_table
from sync_worker.swap import read_window
from sync_worker.target_table import TargetTable


def _runtime() -> Runtime:
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level, settings.log_json)
        return bootstrap(settings)
    except (SettingsError, TargetsFileError) as exc:
        raise click.ClickException(str(exc)) from exc


def _named(runtime: Runtime, name: str) -> None:
    if name not in runtime.targets:
        known = ", ".join(sorted(runtime.targets)) or "none (is MAILBANNER_TARGETS_FILE set?)"
        raise click.ClickException(f"unknown target {name!r}; configured: {known}")


@click.command("sync", help="Reconcile one target now, in this process. Exit 1 unless swapped or in sync.")
@click.argument("name")
@click.option("--force", is_flag=True, help="Swap even if the delete guard would hold it.")
def sync_command(name: str, force: bool) -> None:
    runtime = _runtime()
    try:
        _named(runtime, name)
        result = reconcile(
            runtime.targets[name],
            banner_sessions=runtime.banner_sessions,
            target_engine=runtime.target_engines[name],
            settings=runtime.settings,
            trigger="manual",
            force=force,
        )
        with runtime.banner_sessions() as session:
            state = session.get(TargetState, name)
            held_diff = state.held_diff if state is not None else None
    finally:
        runtime.dispose()
    click.echo(
        f"{name}: {result.outcome.value} (run {result.run_id}, deleted {result.rows_deleted},"
        f" inserted {result.rows_inserted})"
    )
    if result.outcome is Outcome.HELD and held_diff is not None:
        click.echo(json.dumps(held_diff, indent=2, ensure_ascii=False))
    if result.error:
        click.echo(f"error{' (retryable)' if result.retryable else ''}: {result.error}", err=True)
    if result.outcome not in {Outcome.SWAPPED, Outcome.IN_SYNC}:
        raise click.exceptions.Exit(1)


@click.group("target", help="Delivery targets declared in MAILBANNER_TARGETS_FILE.")
def target_group() -> None:
    pass


@target_group.command("list", help="Show each target, where it writes and its recorded state.")
def list_command() -> None:
    runtime = _runtime()
    try:
        with runtime.banner_sessions() as session:
            states = {s.name: s for s in session.scalars(select(TargetState))}
    finally:
        runtime.dispose()
    for name, spec in sorted(runtime.targets.items()):
        state = states.get(name)
        if state is None:
            status = "new (starts paused)"
        elif state.paused:
            status = f"paused: {state.paused_reason}"
        elif state.held:
            status = "held"
        else:
            status = f"last {state.last_outcome or 'never run'}"
        where = f"{spec.schema}.{spec.table}" if spec.schema else spec.table
        enabled = "enabled" if spec.enabled else "disabled"
        click.echo(f"{name}\t{enabled}\t{spec.display_url}\t{where}\t{status}")


@target_group.command("check", help="Compare the target's table with its spec. Exit 1 on a mismatch.")
@click.argument("name")
def check_command(name: str) -> None:
    runtime = _runtime()
    try:
        _named(runtime, name)
        report = check_target(runtime.targets[name], runtime.target_engines[name])
    finally:
        runtime.dispose()
    for problem in report.problems:
        click.echo(f"problem: {problem}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"{name} ({report.table}): {'ok' if report.ok else 'MISMATCH'}")
    if not report.ok:
        raise click.exceptions.Exit(1)


@target_group.command(
    "create-standins", help="Create missing development stand-in tables (SQLite/PostgreSQL/MariaDB)."
)
def create_standins_command() -> None:
    runtime = _runtime()
    try:
        for name, spec in sorted(runtime.targets.items()):
            try:
                created = create_standin_table(spec, runtime.target_engines[name])
            except NotAStandin as exc:
                click.echo(f"{name}: skipped, {exc}")
                continue
            click.echo(f"{name}: {'created' if created else 'exists'} {spec.table}")
    finally:
        runtime.dispose()


@target_group.command("rows", help="Print the rows a target holds in its window, as the worker reads them.")
@click.argument("name")
def rows_command(name: str) -> None:
    runtime = _runtime()
    try:
        _named(runtime, name)
        spec, settings = runtime.targets[name], runtime.settings
        window = DayWindow.around(today_in(settings.tz), spec.window_days_back, spec.window_days_ahead)
        table = TargetTable.for_spec(spec, settings.tz, dialect_for(runtime.target_engines[name].url))
        rows = sorted(read_window(runtime.target_engines[name], table, window), key=lambda r: (r[3], r[2]))
        click.echo("start\tpriority\timage_url\tlink_url")
        for image_url, link_url, priority, start, _end in rows:
            click.echo(f"{start}\t{priority}\t{image_url}\t{link_url}")
        click.echo(f"{len(rows)} rows in {window.first}..{window.last}")
    finally:
        runtime.dispose()


def register(main: click.Group) -> None:
    """Add this module's commands to the mailbanner group."""
    main.add_command(sync_command)
    main.add_command(target_group)
