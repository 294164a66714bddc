"""mailbanner subcommands of the beat."""

import click


def register(main: click.Group) -> None:
    """Add the beat command to the mailbanner group."""
