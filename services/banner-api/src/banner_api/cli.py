"""mailbanner subcommands of the API: serve it, migrate its database, load demo data, manage users."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import click

from banner_api.auth import accounts
from banner_api.auth.roles import ROLES, VIEWS, Principal
from banner_common.settings import Settings, SettingsError

if TYPE_CHECKING:
    from banner_api.context import AppServices


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("serve", help="Run the API under gunicorn (the production server).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    _settings()  # fail early, with a clear message, on a bad setting
    argv = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--access-logfile", "-",
        "--graceful-timeout", "20",
        # Shares one Prometheus multiprocess directory among the workers (docs/operations.md).
        "--config", "python:banner_api.observability.gunicorn_config",
        "banner_api:create_app()",
    ]  # fmt: skip
    os.execv(sys.executable, argv)  # noqa: S606 -- replace this process with gunicorn, fixed argv


@click.group("db", help="The banner database schema (Alembic migrations).")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the banner database to the newest schema.")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    from banner_api import migrate

    migrate.upgrade(_settings().database_url, revision)
    click.echo(f"banner database at {revision}")


@db.command("downgrade", help="Migrate the banner database back to a revision.")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    from banner_api import migrate

    migrate.downgrade(_settings().database_url, revision)
    click.echo(f"banner database at {revision}")


@db.command("check", help="Fail if the models and the migrations disagree.")
def db_check() -> None:
    from alembic.util.exc import CommandError

    from banner_api import migrate

    try:
        migrate.check(_settings().database_url)
    except CommandError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("models and migrations agree")


@click.group("demo", help="Demo data for a first look.")
def demo() -> None:
    pass


@demo.command("load", help="Register demo banners and schedule this month and the next (idempotent).")
def demo_load() -> None:
    from banner_api import create_app
    from banner_api.demo import load_demo

    # The demo writes a few hundred placements in one go; the per-user write limit is for people.
    app = create_app(replace(_settings(), rate_limit_writes=""))
    with app.app_context():
        summary = load_demo()
    click.echo(summary)


@click.group("user", help="Users, their roles and scopes, and their API tokens.")
def user() -> None:
    pass


@user.command("create", help="Create a user with one or more roles, optionally narrowed by scopes.")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeatable.")
@click.option(
    "--campaign-type", "campaign_types", multiple=True, help="Only these campaign types (repeatable)."
)
@click.option(
    "--view", "views", multiple=True, type=click.Choice(VIEWS), help="Only these views (repeatable)."
)
def user_create(
    name: str, roles: tuple[str, ...], campaign_types: tuple[str, ...], views: tuple[str, ...]
) -> None:
    fields = accounts.UserFields(roles=list(roles), campaign_types=list(campaign_types), views=list(views))
    with _as_operator() as svc:
        made = accounts.create_user(svc, name, fields)
    click.echo(
        f"user {made.name}: roles {made.roles}; campaign types {made.campaign_types or 'all'}; "
        f"views {made.views or 'all'}"
    )


@user.command("token", help="Issue an API token for a user; it is shown this once.")
@click.argument("name")
@click.option("--expires-in-days", type=int, default=None, help="Default: MAILBANNER_TOKEN_DEFAULT_DAYS.")
@click.option("--label", default="", help="What the token is for.")
@click.option("--quiet", is_flag=True, help="Print only the token (for scripts).")
def user_token(name: str, expires_in_days: int | None, label: str, quiet: bool) -> None:
    with _as_operator() as svc:
        issued = accounts.issue_token(svc, name, expires_in_days, label)
    if quiet:
        click.echo(issued.secret)
        return
    click.echo(f"token {issued.token.id} for {name}, expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC")
    click.echo(issued.secret)
    click.echo("store it now: it is not shown again", err=True)


@user.command("revoke", help="Revoke a token by its id; it stops working at once.")
@click.argument("token_id", type=int)
def user_revoke(token_id: int) -> None:
    with _as_operator() as svc:
        token = accounts.revoke_token(svc, token_id)
    click.echo(f"token {token.id} ({token.prefix}) revoked")


@user.command("list", help="List users with their roles, scopes and tokens (never the secrets).")
def user_list() -> None:
    with _as_operator() as svc:
        for found in accounts.list_users(svc):
            state = "disabled" if found.disabled else "active"
            click.echo(
                f"{found.name}  [{state}]  roles={found.roles}  "
                f"campaign_types={found.campaign_types or 'all'}  views={found.views or 'all'}"
            )
            for token in accounts.list_tokens(svc, found.name):
                status = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                click.echo(f"    token {token.id}  {token.prefix}  {status}  last used {used}  {token.label}")


@click.group("images", help="Stored banner image files.")
def images() -> None:
    pass


@images.command(
    "prune",
    help="Delete replaced image files retired longer than MAILBANNER_IMAGE_RETENTION_DAYS ago that no banner "
    "or approved entry shows (run it daily).",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def images_prune(dry_run: bool) -> None:
    from banner_api.banners.retired_images import prune_retired_images

    with _as_operator() as svc:
        report = prune_retired_images(svc, dry_run=dry_run)
    for key in report.deleted:
        click.echo(f"{'would delete' if dry_run else 'deleted'} {key}")
    for key in report.still_used:
        click.echo(f"kept {key}: still shown")
    click.echo(
        f"{len(report.deleted)} {'to delete' if dry_run else 'deleted'}, "
        f"{len(report.still_used)} still shown, {len(report.kept_until)} inside the retention period"
    )


@contextmanager
def _as_operator() -> Iterator[AppServices]:
    """The API's services, acting (and audited) as the person at the terminal."""
    from flask import g

    from banner_api import create_app
    from banner_api.context import services
    from banner_api.errors import DomainError

    app = create_app(_settings())
    try:
        with app.app_context():
            g.principal = Principal(name=f"cli:{getpass.getuser()}", roles=frozenset(ROLES), via="cli")
            yield services()
    except DomainError as exc:
        details = "; ".join(f"{field}: {', '.join(msgs)}" for field, msgs in exc.fields.items())
        raise click.ClickException(f"{exc.message}{' (' + details + ')' if details else ''}") from exc
    finally:
        app.extensions["mailbanner"].engine.dispose()


def register(main: click.Group) -> None:
    """Add the API commands to the mailbanner group."""
    main.add_command(serve)
    main.add_command(db)
    main.add_command(demo)
    main.add_command(user)
    main.add_command(images)
