"""Sync status, run history and operator control, read and written in the banner database only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from banner_api.audit.record import record
from banner_api.errors import NotFound, field_error
from banner_api.uow import UnitOfWork
from banner_common.models import NEW_TARGET_REASON, ScheduleChange, SyncRun, TargetState, utcnow
from banner_common.settings import Settings
from banner_common.target_states import again_if_state_raced, set_pause, state_of
from banner_common.targets import TargetSpec, load_targets


def declared_targets(settings: Settings, names: tuple[str, ...]) -> dict[str, TargetSpec | None]:
    """Every known target with its declaration when a targets file exists (never its resolved secrets)."""
    if settings.targets_file:
        return dict(load_targets(settings.targets_file, settings).items())
    return dict.fromkeys(names)


def list_targets(settings: Settings, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "enabled": spec.enabled if spec else True,
            "declared": spec.public_dict() if spec else None,
        }
        for name, spec in declared_targets(settings, names).items()
    ]


def _require_known(name: str, names: tuple[str, ...]) -> None:
    if name not in names:
        raise NotFound(f"no target named {name!r}")


def _involves(name: str) -> Any:
    return (literal(",") + ScheduleChange.targets + literal(",")).like(f"%,{name},%")


def target_status(
    session: Session, name: str, spec: TargetSpec | None, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    state = session.get(TargetState, name)
    applied = state.applied_change_id if state else 0
    pending_filter = (ScheduleChange.id > applied, _involves(name))
    pending = session.scalar(select(func.count()).select_from(ScheduleChange).where(*pending_filter)) or 0
    oldest = session.scalar(select(func.min(ScheduleChange.committed_at)).where(*pending_filter))
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    last_run = session.scalars(
        select(SyncRun)
        .where(SyncRun.target == name)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    ).first()
    return {
        "name": name,
        "enabled": spec.enabled if spec else True,
        "paused": state.paused if state else True,
        "paused_reason": (state.paused_reason if state.paused else None) if state else NEW_TARGET_REASON,
        "in_sync": state.in_sync if state else None,
        "held": state.held if state else False,
        "held_diff": state.held_diff if state else None,
        "last_outcome": state.last_outcome if state else None,
        "last_error": state.last_error if state else None,
        "last_run": last_run,
        "last_success_at": state.last_success_at if state else None,
        "applied_change_id": applied,
        "pending_changes": pending,
        "lag_seconds": (now - oldest).total_seconds() if oldest is not None else 0.0,
    }


def sync_status(uow: UnitOfWork, settings: Settings, names: tuple[str, ...]) -> dict[str, Any]:
    specs = declared_targets(settings, names)
    with uow:
        return {"targets": [target_status(uow.session, name, spec) for name, spec in specs.items()]}


def list_runs(uow: UnitOfWork, names: tuple[str, ...], query: dict[str, Any]) -> dict[str, Any]:
    conditions = []
    if "target" in query:
        if query["target"] not in names:
            raise field_error("target", f"unknown target; one of {', '.join(names)}", "query")
        conditions.append(SyncRun.target == query["target"])
    if "outcome" in query:
        conditions.append(SyncRun.outcome == query["outcome"])
    if "trigger" in query:
        conditions.append(SyncRun.trigger == query["trigger"])
    for key, compare in (("since", SyncRun.started_at.__ge__), ("until", SyncRun.started_at.__lt__)):
        if key in query:
            moment: dt.datetime = query[key]
            if moment.tzinfo is None:
                raise field_error(key, "give a time zone offset, e.g. 2026-12-01T00:00:00+09:00", "query")
            conditions.append(compare(moment))
    with uow:
        total = uow.session.scalar(select(func.count()).select_from(SyncRun).where(*conditions)) or 0
        items = uow.session.scalars(
            select(SyncRun)
            .where(*conditions)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(query["limit"])
            .offset(query["offset"])
        ).all()
        return {"items": list(items), "total": total, "limit": query["limit"], "offset": query["offset"]}


def set_paused(
    uow: UnitOfWork, settings: Settings, names: tuple[str, ...], name: str, *, paused: bool, reason: str = ""
) -> dict[str, Any]:
    _require_known(name, names)

    def attempt() -> dict[str, Any]:
        with uow:
            before, after = set_pause(state_of(uow.session, name), paused=paused, reason=reason)
            record(uow.session, "target.pause" if paused else "target.resume", "target", name, before, after)
            uow.commit()
            return target_status(uow.session, name, declared_targets(settings, names)[name])

    # A new target's first run (from the beat) may create its state row at the same moment.
    return again_if_state_raced(attempt)


def record_sync_request(uow: UnitOfWork, name: str, *, force: bool, queued: bool) -> None:
    """Audit an operator's "sync now" (and whether the broker took it) in its own small transaction."""
    with uow:
        record(uow.session, "target.sync_now", "target", name, None, {"force": force, "queued": queued})
        uow.commit()
