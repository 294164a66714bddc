"""The target side of a run: read the window, and the one locked transaction replacing it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Engine

from banner_common.delivery import DayWindow
from sync_worker.dialects import Dialect
from sync_worker.target_table import RowKey, TargetTable


@dataclass(frozen=True)
class SwapCounts:
    deleted: int
    inserted: int


def read_window(engine: Engine, target: TargetTable, window: DayWindow) -> list[RowKey]:
    """The target's rows in the window; a plain read, no lock and no write."""
    with engine.connect() as conn:
        return [target.key_from_target(tuple(row)) for row in conn.execute(target.select_window(window))]


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def swap_window(
    engine: Engine,
    dialect: Dialect,
    target: TargetTable,
    window: DayWindow,
    rows: Sequence[RowKey],
    swapped_at: dt.datetime,
    lock_timeout_seconds: int,
) -> SwapCounts:
    """Replace the window's rows with `rows` in one transaction under the dialect's swap lock.

    Any error rolls the whole transaction back, so the target keeps exactly its old rows.
    """
    params = target.insert_params(rows, swapped_at)
    with dialect.locked_transaction(engine, target.table, lock_timeout_seconds) as conn:
        deleted = conn.execute(target.delete_window(window)).rowcount
        for chunk in _chunks(params, target.spec.chunk_size):
            conn.execute(target.insert(), chunk)
    return SwapCounts(deleted=max(deleted, 0), inserted=len(params))
