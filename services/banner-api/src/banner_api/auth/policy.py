"""The one table of who may call what: every endpoint is public or names a permission and a view."""

from __future__ import annotations

from dataclasses import dataclass

from banner_api.auth.roles import Permission


@dataclass(frozen=True)
class Rule:
    permission: Permission
    view: str | None  # the view scope it belongs to; None: not narrowed by views


# Health checks, the OpenAPI document and its viewer, and the stored images (mail readers load them).
PUBLIC_ENDPOINTS = frozenset(
    {
        "health.healthz",
        "health.readyz",
        "api-docs.openapi_json",
        "api-docs.openapi_swagger_ui",
        "images.image",
        "static",
        # The console page and its assets carry no data; every view reads the API with the user's token.
        "console.index",
        "console.static",
        "console.config",
        # Prometheus scrapes it; guarded by MAILBANNER_METRICS_TOKEN when set (see docs/operations.md).
        "metrics.metrics",
    }
)

_READ, _EDIT = Permission.READ, Permission.EDIT

ENDPOINT_RULES: dict[str, Rule] = {
    "banners.list_banners": Rule(_READ, "banners"),
    "banners.get_banner": Rule(_READ, "banners"),
    "banners.create_banner": Rule(_EDIT, "banners"),
    "banners.update_banner": Rule(_EDIT, "banners"),
    "banners.archive_banner": Rule(_EDIT, "banners"),
    "banners.restore_banner": Rule(_EDIT, "banners"),
    "schedule.read_day": Rule(_READ, "schedule"),
    "schedule.place": Rule(_EDIT, "schedule"),
    "schedule.remove_range": Rule(_EDIT, "schedule"),
    "schedule.reorder_day": Rule(_EDIT, "schedule"),
    "schedule.remove_entry": Rule(_EDIT, "schedule"),
    "calendar.read_month": Rule(_READ, "schedule"),
    "preview.preview": Rule(_READ, "schedule"),
    "approvals.list_pending": Rule(_READ, "schedule"),
    "approvals.approve_entries": Rule(Permission.APPROVE, "schedule"),
    "approvals.approve_entry": Rule(Permission.APPROVE, "schedule"),
    "approvals.approve_day": Rule(Permission.APPROVE, "schedule"),
    "sync.list_targets": Rule(_READ, "sync"),
    "sync.status": Rule(_READ, "sync"),
    "sync.runs": Rule(_READ, "sync"),
    "sync.pause": Rule(Permission.OPERATE, "sync"),
    "sync.resume": Rule(Permission.OPERATE, "sync"),
    "sync.sync_now": Rule(Permission.OPERATE, "sync"),
    "audit.list_events": Rule(_READ, "audit"),
    # Business figures: part of the schedule view, so a caller scoped to sync status does not see them.
    "kpis.read_kpis": Rule(_READ, "schedule"),
    "annotations.list_annotations": Rule(_READ, None),
    # Planners (edit) and operators (operate) add annotations: the service checks either permission.
    "annotations.create_annotation": Rule(Permission.AUTHENTICATED, None),
    "accounts.me": Rule(Permission.AUTHENTICATED, None),
    "accounts.list_users": Rule(Permission.ADMIN, None),
    "accounts.create_user": Rule(Permission.ADMIN, None),
    "accounts.get_user": Rule(Permission.ADMIN, None),
    "accounts.update_user": Rule(Permission.ADMIN, None),
    "accounts.list_tokens": Rule(Permission.ADMIN, None),
    "accounts.issue_token": Rule(Permission.ADMIN, None),
    "accounts.revoke_token": Rule(Permission.ADMIN, None),
}


def rule_for(endpoint: str) -> Rule | None:
    return ENDPOINT_RULES.get(endpoint)
