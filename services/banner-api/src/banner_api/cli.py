"""mailbanner subcommands of the API."""

import click


def register(main: click.Group) -> None:
    """Add the API commands to the mailbanner group."""
