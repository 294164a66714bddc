"""The `mailbanner` command: a click group each installed service adds its subcommands to."""

from __future__ import annotations

from importlib.metadata import entry_points

import click

from banner_common.settings import Settings, SettingsError


@click.group(help="Mailbanner: schedule newsletter-footer banners and keep the delivery databases in step.")
def main() -> None:
    pass


@main.command("config", help="Show every setting, its current value and what it does.")
def show_config() -> None:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    width = max(len(name) for name, _, _ in settings.describe())
    for name, value, doc in settings.describe():
        click.echo(f"{name:<{width}}  {value}")
        click.echo(f"{'':<{width}}  # {doc}")


def _load_plugins() -> None:
    for entry in entry_points(group="mailbanner.commands"):
        register = entry.load()
        register(main)


_load_plugins()
