"""mailbanner subcommands of the API: serve it, migrate its database, load demo data."""

from __future__ import annotations

import os
import sys

import click

from banner_common.settings import Settings, SettingsError


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

    app = create_app(_settings())
    with app.app_context():
        summary = load_demo()
    click.echo(summary)


def register(main: click.Group) -> None:
    """Add the API commands to the mailbanner group."""
    main.add_command(serve)
    main.add_command(db)
    main.add_command(demo)
