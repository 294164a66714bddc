"""mailbanner subcommands of the sync worker."""

import click


def register(main: click.Group) -> None:
    """Add this module's commands to the mailbanner group."""

