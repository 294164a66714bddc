"""mailbanner subcommands of the sync worker: run a sync in-process, list and check targets, cut over."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select

from banner_common.delivery import DayWindow, today_in
from banner_common.logging import configure_logging
from banner_common.models import TargetState
from banner_common.settings import Settings, SettingsError
from banner_common.targets import TargetsFileError
from sync_worker.bootstrap import Runtime, bootstrap
from sync_worker.check import check_target
from sync_worker.cutover import backup_target, restore_target
from sync_worker.dialects import dialect_for
from sync_worker.legacy_import import ImportReport, ImportRules, count_legacy_rows, import_legacy
from sync_worker.reconcile import Outcome, RunResult, reconcile
from sync_worker.standins import NotAStandin, create_standin_table
from sync_worker.swap import read_window
from sync_worker.table_backup import CutoverRefused, list_backups, prepare
from sync_worker.target_state import set_paused
from sync_worker.target_table import TargetTable


@contextmanager
def _runtime() -> Iterator[Runtime]:
    """The worker's engines for one command, disposed when it ends."""
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level, settings.log_json)
        runtime = bootstrap(settings)
    except (SettingsError, TargetsFileError) as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield runtime
    finally:
        runtime.dispose()


def _named(runtime: Runtime, name: str) -> None:
    if name not in runtime.targets:
        known = ", ".join(sorted(runtime.targets)) or "none (is MAILBANNER_TARGETS_FILE set?)"
        raise click.ClickException(f"unknown target {name!r}; configured: {known}")


@click.command("sync", help="Reconcile one target now, in this process. Exit 1 unless swapped or in sync.")
@click.argument("name")
@click.option("--force", is_flag=True, help="Swap even if the delete guard would hold it.")
def sync_command(name: str, force: bool) -> None:
    with _runtime() as runtime:
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
    _report_run(name, result, held_diff)


def _report_run(name: str, result: RunResult, held_diff: dict[str, object] | None) -> None:
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
    with _runtime() as runtime, runtime.banner_sessions() as session:
        states = {s.name: s for s in session.scalars(select(TargetState))}
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
    with _runtime() as runtime:
        _named(runtime, name)
        report = check_target(runtime.targets[name], runtime.target_engines[name])
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
    with _runtime() as runtime:
        for name, spec in sorted(runtime.targets.items()):
            try:
                created = create_standin_table(spec, runtime.target_engines[name])
            except NotAStandin as exc:
                click.echo(f"{name}: skipped, {exc}")
                continue
            click.echo(f"{name}: {'created' if created else 'exists'} {spec.table}")


@target_group.command("rows", help="Print the rows a target holds in its window, as the worker reads them.")
@click.argument("name")
def rows_command(name: str) -> None:
    with _runtime() as runtime:
        _named(runtime, name)
        spec, settings = runtime.targets[name], runtime.settings
        window = DayWindow.around(today_in(settings.tz), spec.window_days_back, spec.window_days_ahead)
        table = TargetTable.for_spec(spec, settings.tz, dialect_for(runtime.target_engines[name].url))
        rows = sorted(read_window(runtime.target_engines[name], table, window), key=lambda r: (r[3], r[2]))
        click.echo("start\tpriority\timage_url\tlink_url")
        for image_url, link_url, priority, start, _end in rows:
            click.echo(f"{start}\t{priority}\t{image_url}\t{link_url}")
        click.echo(f"{len(rows)} rows in {window.first}..{window.last}")


def _actor() -> str:
    """Who ran the command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in the environment or password database (containers)
        return "cli"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@target_group.command("pause", help="Stop syncing the target (the worker records its runs as paused).")
@click.argument("name")
@click.option("--reason", default="paused from the command line", show_default=True)
def pause_command(name: str, reason: str) -> None:
    with _runtime() as runtime:
        _named(runtime, name)
        set_paused(runtime.banner_sessions, name, paused=True, reason=reason, actor=_actor())
    click.echo(f"{name}: paused ({reason})")


@target_group.command(
    "resume", help="Start syncing the target and run its first swap at once, in this process."
)
@click.argument("name")
@click.option("--no-sync", is_flag=True, help="Only resume; leave the first swap to the worker.")
def resume_command(name: str, no_sync: bool) -> None:
    with _runtime() as runtime:
        _named(runtime, name)
        set_paused(runtime.banner_sessions, name, paused=False, reason="", actor=_actor())
        click.echo(f"{name}: resumed")
        if no_sync:
            return
        result = reconcile(
            runtime.targets[name],
            banner_sessions=runtime.banner_sessions,
            target_engine=runtime.target_engines[name],
            settings=runtime.settings,
            trigger="manual",
        )
        with runtime.banner_sessions() as session:
            state = session.get(TargetState, name)
            held_diff = state.held_diff if state is not None else None
    _report_run(name, result, held_diff)


@target_group.command("prepare", help="Create <table>_new with the live table's schema and compare them.")
@click.argument("name")
def prepare_command(name: str) -> None:
    with _runtime() as runtime:
        try:
            _named(runtime, name)
            report = prepare(runtime.targets[name], runtime.target_engines[name], _utcnow())
        except CutoverRefused as exc:
            raise click.ClickException(str(exc)) from exc
    for difference in report.differences:
        click.echo(f"difference: {difference}")
    for dependent in report.dependents:
        click.echo(
            f"warning: {dependent} depends on the live table; `target backup` will refuse while it exists"
        )
    state = "created" if report.created else "exists"
    click.echo(
        f"{name}: {report.table} {state}, {'identical to the live table' if report.ok else 'DIFFERENT'}"
    )
    if not report.ok:
        raise click.exceptions.Exit(1)


@target_group.command(
    "backup",
    help="Pause the target, then rename the live table to <table>_bak_<UTC> and <table>_new to live.",
)
@click.argument("name")
def backup_command(name: str) -> None:
    with _runtime() as runtime:
        try:
            _named(runtime, name)
            engine = runtime.target_engines[name]
            sessions = runtime.banner_sessions
            swapped = backup_target(runtime.targets[name], engine, sessions, actor=_actor(), now=_utcnow())
        except CutoverRefused as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{name}: paused; {swapped.live} renamed to {swapped.kept_as}, {swapped.put_in} is live")
    click.echo(
        f"next: `mailbanner target resume {name}`; "
        f"rollback: `mailbanner target restore {name} --backup {swapped.kept_as}`"
    )


@target_group.command(
    "restore", help="Pause the target and rename a backup back into place (the live table is kept)."
)
@click.argument("name")
@click.option("--backup", "backup", required=True, help="The backup table, as `target backups` lists it.")
def restore_command(name: str, backup: str) -> None:
    with _runtime() as runtime:
        try:
            _named(runtime, name)
            engine, sessions = runtime.target_engines[name], runtime.banner_sessions
            swapped = restore_target(
                runtime.targets[name], engine, sessions, backup, actor=_actor(), now=_utcnow()
            )
        except CutoverRefused as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{name}: paused; {backup} is live again as {swapped.live}; the replaced table is {swapped.kept_as}"
    )


@target_group.command("backups", help="List the target's backup tables with their row counts.")
@click.argument("name")
def backups_command(name: str) -> None:
    with _runtime() as runtime:
        _named(runtime, name)
        backups = list_backups(runtime.targets[name], runtime.target_engines[name])
    for backup in backups:
        click.echo(f"{backup.name}\t{backup.taken_at:%Y-%m-%d %H:%M:%S} UTC\t{backup.rows} rows")
    click.echo(f"{len(backups)} backups of {name}")


def _print_import(report: ImportReport, max_banners_per_day: int) -> None:
    for rejected in report.rejected:
        click.echo(f"rejected row {rejected.number}: {rejected.reason} [{rejected.shown}]")
    for over, count in report.days_over_limit:
        click.echo(
            f"over the limit: {over} holds {count} banners, more than MAILBANNER_MAX_BANNERS_PER_DAY "
            f"({max_banners_per_day}); imported as delivered, remove some in the planner"
        )
    click.echo(
        f"{report.target}: read {report.rows_read} rows, rejected {len(report.rejected)}, "
        f"widened {report.rows_widened} partial-day rows to whole days, merged {report.duplicates} duplicates"
    )
    click.echo(
        f"days: {report.days_imported} imported, "
        f"{report.days_already_planned} already planned (left as they are)"
    )
    click.echo(
        f"banners: {report.banners_created} created, {report.banners_reused} reused; "
        f"schedule entries: {report.entries_created} created"
    )
    if report.dry_run:
        click.echo("dry run: nothing was written")
    elif report.change_id is not None:
        click.echo(f"schedule change {report.change_id} recorded for {report.first_day}..{report.last_day}")


@click.command("import-legacy", help="Import the banners a target's table holds into the banner database.")
@click.argument("name")
@click.option(
    "--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only rows showing on or after DATE."
)
@click.option("--dry-run", is_flag=True, help="Read, check and count; write nothing.")
@click.option(
    "--campaign-type", help="Campaign type of the imported banners (default: information, or the first)."
)
def import_legacy_command(
    name: str, since: dt.datetime | None, dry_run: bool, campaign_type: str | None
) -> None:
    with _runtime() as runtime:
        _named(runtime, name)
        settings, spec, engine = runtime.settings, runtime.targets[name], runtime.target_engines[name]
        kinds = settings.campaign_types
        kind = campaign_type or ("information" if "information" in kinds else kinds[0])
        if kind not in kinds:
            raise click.BadParameter(f"one of {', '.join(kinds)}", param_hint="--campaign-type")
        rules = ImportRules(
            target=TargetTable.for_spec(spec, settings.tz, dialect_for(engine.url)),
            link_max_length=settings.link_max_length,
            allowed_hosts=settings.link_allowed_hosts,
            since=since.date() if since else None,
            max_banners_per_day=settings.max_banners_per_day,
        )
        total = count_legacy_rows(engine, rules.target, rules.since)
        with click.progressbar(length=total, label=f"reading {name}", file=sys.stderr) as bar:
            report = import_legacy(
                engine,
                runtime.banner_sessions,
                rules,
                campaign_type=kind,
                actor=_actor(),
                dry_run=dry_run,
                progress=bar.update,
            )
    _print_import(report, settings.max_banners_per_day)


def register(main: click.Group) -> None:
    """Add this module's commands to the mailbanner group."""
    main.add_command(sync_command)
    main.add_command(target_group)
    main.add_command(import_legacy_command)
