"""One change to some days: snapshot them, apply the approval rule, then audit what changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from banner_api.audit.record import DayKey, day_states, record_days
from banner_api.auth.current import current_principal
from banner_common.models import APPROVED, PENDING, ScheduleEntry, utcnow

AUTHORS_MAX = 1000


class DayChange:
    """`change = DayChange(session, keys, action)` before touching the days, `change.finish(...)` after."""

    def __init__(self, session: Session, keys: Iterable[DayKey], action: str) -> None:
        self._session = session
        self._keys = sorted(set(keys))
        self._action = action
        self.before = day_states(session, self._keys)

    def add_days(self, keys: Iterable[DayKey]) -> None:
        extra = sorted(set(keys) - set(self._keys))
        self.before.update(day_states(self._session, extra))
        self._keys = sorted(set(self._keys) | set(extra))

    def finish(self, *, approval_required: bool, settle: bool = True) -> None:
        """Apply the approval rule (unless the change is an approval itself) and audit every changed day."""
        if settle:
            settle_days(self._session, self._keys, self.before, approval_required=approval_required)
        record_days(self._session, self._action, self.before, day_states(self._session, self._keys))


def authors(entry: ScheduleEntry) -> list[str]:
    return [name for name in entry.changed_by.split(",") if name]


def settle_days(
    session: Session,
    keys: Iterable[DayKey],
    before: Mapping[DayKey, Mapping[str, Any]],
    *,
    approval_required: bool,
) -> None:
    """Apply the approval rule to every entry of the days after a change.

    An entry whose place in its day, image or link changed was changed by the current caller. Without
    approval that change approves itself (the approved columns follow). With approval it becomes pending,
    with the caller among its authors, and the approved columns keep what targets receive until an
    approver who is none of its authors approves it.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return
    actor = current_principal().name
    for key, day_entries in _entries_by_day(session, wanted).items():
        ranked = sorted(day_entries, key=lambda e: (e.position, e.id))
        touched = _touched(before.get(key), ranked)
        for entry in ranked:
            if not approval_required:
                approve_as_is(entry, None)
                if entry.id in touched:
                    entry.changed_by = _bounded(actor)
                continue
            if entry.id in touched:
                names = authors(entry) if entry.approval == PENDING else []
                if actor not in names:
                    names.append(actor)
                entry.approval = PENDING
                entry.changed_by = _bounded(",".join(names))
        if approval_required:
            _drop_undone(ranked)


def _touched(before: Mapping[str, Any] | None, ranked: list[ScheduleEntry]) -> set[int]:
    """Entries that are new, or whose image, link or order relative to the entries that stayed changed.
    Entries sliding up or down because another was added or removed are not changed by that."""
    old = {e["id"]: e for e in (before or {}).get("entries", [])}
    stayed = [e for e in ranked if e.id in old]
    old_order = [entry_id for entry_id in old if entry_id in {e.id for e in stayed}]
    old_rank = {entry_id: rank for rank, entry_id in enumerate(old_order)}
    touched = {e.id for e in ranked if e.id not in old}
    for rank, entry in enumerate(stayed):
        was = old[entry.id]
        if (
            old_rank[entry.id] != rank
            or was["image_url"] != entry.banner.image_url
            or was["link_url"] != entry.banner.link_url
        ):
            touched.add(entry.id)
    return touched


def approve_as_is(entry: ScheduleEntry, approver: str | None) -> None:
    """Make what the entry is now what targets receive."""
    entry.approved_position = entry.position
    entry.approved_image_url = entry.banner.image_url
    entry.approved_link_url = entry.banner.link_url
    entry.approval = APPROVED
    if approver is not None:
        entry.approved_by = approver
        entry.approved_at = utcnow()
        entry.changed_by = ""


def _drop_undone(ranked: list[ScheduleEntry]) -> None:
    """A pending entry whose change was undone (same place among the approved ones, same image and
    link as approved) is approved again as it was."""
    approved = [e for e in ranked if e.approved_position is not None]
    live_rank = {e.id: i for i, e in enumerate(approved)}
    approved_rank = {
        e.id: i for i, e in enumerate(sorted(approved, key=lambda e: (e.approved_position or 0, e.id)))
    }
    for entry in approved:
        if (
            entry.approval == PENDING
            and live_rank[entry.id] == approved_rank[entry.id]
            and entry.approved_image_url == entry.banner.image_url
            and entry.approved_link_url == entry.banner.link_url
        ):
            entry.approval = APPROVED
            entry.changed_by = ""


def _entries_by_day(session: Session, keys: list[DayKey]) -> dict[DayKey, list[ScheduleEntry]]:
    session.flush()
    targets = sorted({target for _, target in keys})
    entries = session.scalars(
        select(ScheduleEntry)
        .join(ScheduleEntry.banner)
        .options(contains_eager(ScheduleEntry.banner))
        .where(
            ScheduleEntry.target.in_(targets),
            ScheduleEntry.date >= keys[0][0],
            ScheduleEntry.date <= keys[-1][0],
        )
        .order_by(ScheduleEntry.date, ScheduleEntry.target, ScheduleEntry.position, ScheduleEntry.id)
        .execution_options(populate_existing=True)
    ).unique()
    wanted = set(keys)
    by_day: dict[DayKey, list[ScheduleEntry]] = {}
    for entry in entries:
        if (entry.date, entry.target) in wanted:
            by_day.setdefault((entry.date, entry.target), []).append(entry)
    return by_day


def _bounded(names: str) -> str:
    # Keep the newest authors when the list outgrows its column (a long-running pending entry).
    while len(names) > AUTHORS_MAX and "," in names:
        names = names.split(",", 1)[1]
    return names[:AUTHORS_MAX]


def banner_days(session: Session, banner_id: int) -> list[DayKey]:
    return [
        (day, target)
        for day, target in session.execute(
            select(ScheduleEntry.date, ScheduleEntry.target).where(ScheduleEntry.banner_id == banner_id)
        )
    ]
