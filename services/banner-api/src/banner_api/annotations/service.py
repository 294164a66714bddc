"""The timeline: annotations people add, and system events derived from runs and the audit trail."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from banner_api.annotations.models import Annotation
from banner_api.auth.current import current_principal, request_id
from banner_api.auth.roles import Permission
from banner_api.errors import DomainError, field_error
from banner_api.uow import UnitOfWork
from banner_common.models import AuditEvent, SyncRun, utcnow

SYSTEM_TAG = "mailbanner"
# Audit actions that become timeline events, with their kind.
AUDITED_EVENTS = {"target.pause": "pause", "target.resume": "resume", "legacy.import": "import"}
DEFAULT_SPAN = dt.timedelta(hours=24)


class Forbidden(DomainError):
    status = HTTPStatus.FORBIDDEN


@dataclass(frozen=True)
class TimelineQuery:
    start: dt.datetime
    end: dt.datetime
    tags: tuple[str, ...] = ()
    match_any: bool = False
    limit: int = 1000


@dataclass
class TimelineItem:
    """One event in the shape of Grafana's own annotations (times in epoch milliseconds)."""

    id: str
    time: dt.datetime
    time_end: dt.datetime
    title: str
    text: str
    tags: list[str]
    kind: str
    source: str
    target: str | None = None
    author: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        time, time_end = _epoch_ms(self.time), _epoch_ms(self.time_end)
        return {
            "id": self.id,
            "time": time,
            "timeEnd": time_end,
            "isRegion": time_end > time,
            "title": self.title,
            "text": self.text,
            "tags": self.tags,
            "kind": self.kind,
            "source": self.source,
            "target": self.target,
            "author": self.author,
        }


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def create_annotation(uow: UnitOfWork, targets: tuple[str, ...], body: dict[str, Any]) -> dict[str, Any]:
    """Store a person's annotation; planners (edit) and operators (operate) may add them."""
    principal = current_principal()
    if not (principal.can(Permission.EDIT) or principal.can(Permission.OPERATE)):
        raise Forbidden(f"{principal.name} may not add annotations: it takes the planner or operator role")
    start: dt.datetime = body.get("time") or utcnow()
    end: dt.datetime | None = body.get("time_end")
    if end is not None and end < start:
        raise field_error("timeEnd", "must not be before time")
    target = body.get("target")
    if target is not None and target not in targets:
        raise field_error("target", f"unknown target; one of {', '.join(targets)}")
    tags = list(dict.fromkeys(body.get("tags", [])))
    with uow:
        annotation = Annotation(
            at=start,
            end_at=end,
            title=body.get("title", ""),
            text=body["text"],
            tags="," + ",".join(tags) + "," if tags else "",
            target=target,
            author=principal.name,
            request_id=request_id(),
            created_at=utcnow(),
        )
        uow.session.add(annotation)
        uow.commit()
        return _from_annotation(annotation).as_json()


def timeline(uow: UnitOfWork, query: TimelineQuery) -> list[dict[str, Any]]:
    """Every event overlapping [start, end], oldest first, filtered by tags (all of them, or any)."""
    if query.end < query.start:
        raise field_error("to", "must not be before from", "query")
    with uow:
        session = uow.session
        items = [
            *(_from_annotation(a) for a in _annotations(session, query)),
            *_run_events(session, query),
            *_audit_events(session, query),
        ]
    wanted = set(query.tags)
    if wanted:
        items = [
            item
            for item in items
            if (wanted & set(item.tags) if query.match_any else wanted <= set(item.tags))
        ]
    items.sort(key=lambda item: (item.time, item.id))
    return [item.as_json() for item in items[-query.limit :]]


def _annotations(session: Session, query: TimelineQuery) -> list[Annotation]:
    overlapping = or_(
        and_(Annotation.end_at.is_(None), Annotation.at >= query.start, Annotation.at <= query.end),
        and_(Annotation.end_at.is_not(None), Annotation.at <= query.end, Annotation.end_at >= query.start),
    )
    conditions = [overlapping]
    if query.tags and not query.match_any:
        # Narrow in SQL when every tag must match; the exact check runs on the parsed list.
        conditions.extend(Annotation.tags.like(f"%,{tag},%") for tag in query.tags)
    return list(session.scalars(select(Annotation).where(*conditions).order_by(Annotation.at)))


def _from_annotation(annotation: Annotation) -> TimelineItem:
    tags = annotation.tag_list
    if annotation.target and annotation.target not in tags:
        tags = [*tags, annotation.target]
    return TimelineItem(
        id=f"note-{annotation.id}",
        time=annotation.at,
        time_end=annotation.end_at or annotation.at,
        title=annotation.title or annotation.text.splitlines()[0][:100],
        text=annotation.text,
        tags=tags,
        kind="note",
        source="user",
        target=annotation.target,
        author=annotation.author,
    )


def _run_events(session: Session, query: TimelineQuery) -> list[TimelineItem]:
    """Swaps that changed rows, and held episodes (consecutive held runs of a target make one region)."""
    runs = session.scalars(
        select(SyncRun)
        .where(
            SyncRun.finished_at.is_not(None),
            SyncRun.finished_at >= query.start,
            SyncRun.started_at <= query.end,
            or_(
                and_(
                    SyncRun.outcome == "swapped",
                    or_(SyncRun.rows_deleted > 0, SyncRun.rows_inserted > 0),
                ),
                SyncRun.outcome == "held",
            ),
        )
        .order_by(SyncRun.target, SyncRun.started_at, SyncRun.id)
    ).all()
    items: list[TimelineItem] = []
    held: dict[str, TimelineItem] = {}
    for run in runs:
        finished = run.finished_at or run.started_at
        if run.outcome == "held":
            episode = held.get(run.target)
            if episode is not None:
                episode.time_end = finished
                episode.extra["runs"] += 1
                episode.text = _held_text(run, episode.extra["runs"])
                continue
            episode = TimelineItem(
                id=f"held-{run.id}",
                time=run.started_at,
                time_end=finished,
                title=f"swap held: {run.target}",
                text=_held_text(run, 1),
                tags=[SYSTEM_TAG, "sync", "held", run.target],
                kind="held",
                source="system",
                target=run.target,
                extra={"runs": 1},
            )
            held[run.target] = episode
            items.append(episode)
            continue
        held.pop(run.target, None)  # a swap ends the held episode
        items.append(
            TimelineItem(
                id=f"swap-{run.id}",
                time=finished,
                time_end=finished,
                title=f"swap {run.target}: -{run.rows_deleted} +{run.rows_inserted} rows",
                text=_swap_text(run),
                tags=[SYSTEM_TAG, "sync", "swap", run.target],
                kind="swap",
                source="system",
                target=run.target,
            )
        )
    return items


def _swap_text(run: SyncRun) -> str:
    summary = run.diff_summary or {}
    text = (
        f"{run.trigger} run {run.id} swapped {run.target} ({run.window_first}..{run.window_last}): "
        f"deleted {run.rows_deleted}, inserted {run.rows_inserted}"
    )
    if summary:
        text += f"; {summary.get('added', 0)} rows added, {summary.get('removed', 0)} removed"
        text += f", {summary.get('actual', '?')} -> {summary.get('desired', '?')} rows in the window"
    if summary.get("reason"):
        text += f" ({summary['reason']})"
    return text


def _held_text(run: SyncRun, runs: int) -> str:
    reason = (run.diff_summary or {}).get("reason", "the delete guard")
    return f"swap of {run.target} held for an operator ({runs} run{'s' if runs != 1 else ''}): {reason}"


def _audit_events(session: Session, query: TimelineQuery) -> list[TimelineItem]:
    rows = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action.in_(sorted(AUDITED_EVENTS)),
            AuditEvent.at >= query.start,
            AuditEvent.at <= query.end,
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    return [_from_audit(event) for event in rows]


def _from_audit(event: AuditEvent) -> TimelineItem:
    kind = AUDITED_EVENTS[event.action]
    target = event.object_id
    after = event.after or {}
    tags = [SYSTEM_TAG, kind, target]
    if kind == "pause":
        reason = str(after.get("paused_reason", ""))
        text = f"{target} paused by {event.actor}: {reason}"
        if reason.startswith("cut-over"):
            tags.insert(2, "cutover")  # backups and restores pause the target with this reason
    elif kind == "resume":
        text = f"{target} resumed by {event.actor}"
    else:
        counts = ", ".join(f"{key} {value}" for key, value in after.items() if isinstance(value, int))
        text = f"legacy rows of {target} imported by {event.actor}" + (f": {counts}" if counts else "")
    return TimelineItem(
        id=f"audit-{event.id}",
        time=event.at,
        time_end=event.at,
        title=f"{kind} {target}",
        text=text,
        tags=tags,
        kind=kind,
        source="system",
        target=target,
        author=event.actor,
    )


def default_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return now - DEFAULT_SPAN, now
