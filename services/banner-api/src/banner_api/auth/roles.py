"""Roles, the permissions they grant, the views a scope may name, and the calling principal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    AUTHENTICATED = "authenticated"  # any valid token (e.g. "who am I")
    READ = "read"
    EDIT = "edit"
    APPROVE = "approve"
    OPERATE = "operate"
    ADMIN = "admin"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.READ}),
    "planner": frozenset({Permission.READ, Permission.EDIT}),
    "approver": frozenset({Permission.READ, Permission.EDIT, Permission.APPROVE}),
    "operator": frozenset({Permission.READ, Permission.OPERATE}),
    "admin": frozenset({Permission.READ, Permission.ADMIN}),
}
ROLES = tuple(ROLE_PERMISSIONS)

# What a view scope may name: the parts of the API a narrowed user may read (and, with a role, change).
VIEWS = ("banners", "schedule", "sync", "audit")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller. None for campaign_types or views means unrestricted."""

    name: str
    roles: frozenset[str]
    campaign_types: frozenset[str] | None = None
    views: frozenset[str] | None = None
    via: str = "token"
    token_id: int | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        granted: set[Permission] = {Permission.AUTHENTICATED}
        for role in self.roles:
            granted |= ROLE_PERMISSIONS.get(role, frozenset())
        return frozenset(granted)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def sees_view(self, view: str | None) -> bool:
        return view is None or self.views is None or view in self.views

    def sees_campaign_type(self, campaign_type: str) -> bool:
        return self.campaign_types is None or campaign_type in self.campaign_types

    @property
    def scoped(self) -> bool:
        return self.campaign_types is not None


def scope_set(values: Iterable[str]) -> frozenset[str] | None:
    """An empty list of scope values means no restriction."""
    chosen = frozenset(values)
    return chosen or None


SYSTEM = Principal(name="system", roles=frozenset(ROLES), via="system")
