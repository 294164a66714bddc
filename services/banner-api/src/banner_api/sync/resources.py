"""Sync endpoints: target declarations, status with lag, run history, pause, resume and sync now."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from banner_api.context import services
from banner_api.errors import DomainError, NotFound
from banner_api.sync import schemas, service

blp = Blueprint("sync", __name__, description="Delivery targets: status, runs and operator control")


class BrokerUnavailable(DomainError):
    status = 503  # type: ignore[assignment]


@blp.get("/sync/targets")
@blp.response(200, schemas.TargetListSchema)
def list_targets() -> dict[str, Any]:
    svc = services()
    return {"items": service.list_targets(svc.settings, svc.target_names)}


@blp.get("/sync/status")
@blp.response(200, schemas.StatusSchema)
def status() -> dict[str, Any]:
    svc = services()
    return service.sync_status(svc.unit_of_work(), svc.settings, svc.target_names)


@blp.get("/sync/runs")
@blp.arguments(schemas.RunQuerySchema, location="query")
@blp.response(200, schemas.RunListSchema)
def runs(query: dict[str, Any]) -> dict[str, Any]:
    svc = services()
    return service.list_runs(svc.unit_of_work(), svc.target_names, query)


@blp.post("/sync/targets/<name>/pause")
@blp.arguments(schemas.PauseSchema, required=False)
@blp.response(200, schemas.TargetStatusSchema)
def pause(body: dict[str, Any], name: str) -> dict[str, Any]:
    svc = services()
    reason = body.get("reason", "paused by an operator")
    return service.set_paused(
        svc.unit_of_work(), svc.settings, svc.target_names, name, paused=True, reason=reason
    )


@blp.post("/sync/targets/<name>/resume")
@blp.response(200, schemas.TargetStatusSchema)
def resume(name: str) -> dict[str, Any]:
    svc = services()
    result = service.set_paused(svc.unit_of_work(), svc.settings, svc.target_names, name, paused=False)
    svc.publisher.request_sync(name, force=False)  # best effort: the beat reconciles within a period anyway
    return result


@blp.post("/sync/targets/<name>/sync")
@blp.arguments(schemas.SyncNowSchema, required=False)
@blp.response(202, schemas.SyncQueuedSchema)
def sync_now(body: dict[str, Any], name: str) -> dict[str, Any]:
    svc = services()
    if name not in svc.target_names:
        raise NotFound(f"no target named {name!r}")
    force = bool(body.get("force", False))
    queued = svc.publisher.request_sync(name, force=force)
    service.record_sync_request(svc.unit_of_work(), name, force=force, queued=queued)
    if not queued:
        raise BrokerUnavailable("the task broker (Redis) is unavailable; the sync was not queued")
    return {"target": name, "queued": True, "force": force}
