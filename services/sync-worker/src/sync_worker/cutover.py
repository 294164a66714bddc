"""The cut-over steps that touch both databases: pause the target's sync, then swap tables by rename."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from banner_common.targets import TargetSpec
from sync_worker.table_backup import check_backup, check_restore, swap_in_backup, swap_in_new
from sync_worker.target_state import set_paused


@dataclass(frozen=True)
class Swapped:
    live: str  # the live table, as shown to operators
    put_in: str  # the table that became live
    kept_as: str  # the name the replaced live table has now


def backup_target(
    spec: TargetSpec, engine: Engine, sessions: sessionmaker[Session], *, actor: str, now: dt.datetime
) -> Swapped:
    """Check, pause, then rename live -> `<table>_bak_<UTC>` and `<table>_new` -> live in one transaction.

    A refusal (CutoverRefused) happens before the pause: nothing changes anywhere.
    """
    tables = check_backup(spec, engine)
    set_paused(sessions, spec.name, paused=True, reason="cut-over: live table backed up", actor=actor)
    backup = swap_in_new(spec, engine, now)
    return Swapped(tables.shown(tables.live.name), tables.new, backup)


def restore_target(
    spec: TargetSpec,
    engine: Engine,
    sessions: sessionmaker[Session],
    backup: str,
    *,
    actor: str,
    now: dt.datetime,
) -> Swapped:
    """Check, pause, then rename live -> `<table>_bak_<UTC>` and `backup` -> live in one transaction."""
    tables = check_restore(spec, engine, backup)
    set_paused(sessions, spec.name, paused=True, reason=f"cut-over: restored {backup}", actor=actor)
    replaced = swap_in_backup(spec, engine, backup, now)
    return Swapped(tables.shown(tables.live.name), backup, replaced)
