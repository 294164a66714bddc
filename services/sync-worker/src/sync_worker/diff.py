"""Desired vs actual window content as multisets, and the guard that holds a suspicious swap."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sync_worker.target_table import RowKey

SAMPLE_SIZE = 5


def _row_json(key: RowKey) -> dict[str, Any]:
    image_url, link_url, priority, start, end = key
    return {
        "image_url": image_url,
        "link_url": link_url,
        "priority": priority,
        "start_at": start.isoformat() if isinstance(start, dt.datetime) else start,
        "end_at": end.isoformat() if isinstance(end, dt.datetime) else end,
    }


def _samples(rows: Counter[RowKey]) -> list[dict[str, Any]]:
    # repr sorts rows with NULLs next to others without comparing None to str.
    ordered = sorted(rows.elements(), key=repr)
    return [_row_json(key) for key in ordered[:SAMPLE_SIZE]]


@dataclass(frozen=True)
class WindowDiff:
    """What a swap would add and remove; duplicate rows count as often as they occur."""

    desired: Counter[RowKey]
    actual: Counter[RowKey]
    to_add: Counter[RowKey] = field(init=False)
    to_remove: Counter[RowKey] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "to_add", self.desired - self.actual)
        object.__setattr__(self, "to_remove", self.actual - self.desired)

    @classmethod
    def of(cls, desired: Iterable[RowKey], actual: Iterable[RowKey]) -> WindowDiff:
        return cls(Counter(desired), Counter(actual))

    @property
    def in_sync(self) -> bool:
        return not self.to_add and not self.to_remove

    @property
    def desired_count(self) -> int:
        return self.desired.total()

    @property
    def actual_count(self) -> int:
        return self.actual.total()

    @property
    def remove_count(self) -> int:
        return self.to_remove.total()

    def summary(self, reason: str | None = None) -> dict[str, Any]:
        """Counts and a few sample rows each way, for sync_runs.diff_summary and target_states.held_diff."""
        summary: dict[str, Any] = {
            "desired": self.desired_count,
            "actual": self.actual_count,
            "added": self.to_add.total(),
            "removed": self.remove_count,
            "samples_added": _samples(self.to_add),
            "samples_removed": _samples(self.to_remove),
        }
        if reason is not None:
            summary["reason"] = reason
        return summary


def hold_reason(diff: WindowDiff, max_delete_share: float) -> str | None:
    """Why this swap must wait for an operator, or None when it may go ahead.

    The guard is against losing delivery content, so it weighs how far the window would shrink, not
    how many rows differ: reordering a day or editing a link rewrites rows but keeps them all, while
    a wrongly emptied schedule removes rows with nothing in their place.
    """
    if diff.desired_count == 0 and diff.actual_count > 0:
        return f"the schedule has no rows in the window but the target holds {diff.actual_count}"
    shrink = diff.actual_count - diff.desired_count
    if diff.actual_count and shrink / diff.actual_count > max_delete_share:
        return (
            f"the swap would shrink the window from {diff.actual_count} to {diff.desired_count} rows,"
            f" losing {shrink} of the target's {diff.actual_count}: more than the allowed share"
            f" {max_delete_share:g}"
        )
    return None
