"""The change event the API publishes after a commit: a hint that some targets' days changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


class EventFormatError(ValueError):
    """A message does not follow the event contract."""


@dataclass(frozen=True)
class ScheduleChanged:
    """Targets whose delivery content changed between first_day and last_day (inclusive).

    Events are hints: a consumer always recomputes desired rows from the banner database, so a
    duplicate, late, reordered or lost event changes nothing but how soon a target converges.
    """

    targets: tuple[str, ...]
    first_day: dt.date
    last_day: dt.date
    change_id: int | None
    committed_at: dt.datetime
    request_id: str | None = None  # the API request that made the change, so its logs can be followed

    def to_message(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "change_id": self.change_id,
            "committed_at": self.committed_at.isoformat(),
            "request_id": self.request_id,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> ScheduleChanged:
        try:
            targets = message["targets"]
            if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
                raise EventFormatError("targets must be a list of names")
            change_id = message.get("change_id")
            request_id = message.get("request_id")
            return cls(
                targets=tuple(targets),
                first_day=dt.date.fromisoformat(message["first_day"]),
                last_day=dt.date.fromisoformat(message["last_day"]),
                change_id=int(change_id) if change_id is not None else None,
                committed_at=dt.datetime.fromisoformat(message["committed_at"]),
                request_id=str(request_id) if request_id is not None else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EventFormatError(f"not a ScheduleChanged message: {exc}") from exc
