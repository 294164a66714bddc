"""Campaign-type scope as SQL: what a narrowed caller may see of banners and schedule entries."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from banner_api.auth.current import current_principal
from banner_api.auth.roles import Principal
from banner_common.models import Banner


def visible_banners(principal: Principal | None = None) -> list[ColumnElement[bool]]:
    """Conditions on Banner limiting rows to the caller's campaign types (none when unrestricted)."""
    who = principal or current_principal()
    if who.campaign_types is None:
        return []
    return [Banner.campaign_type.in_(sorted(who.campaign_types))]


def sees_banner(banner: Banner, principal: Principal | None = None) -> bool:
    return (principal or current_principal()).sees_campaign_type(banner.campaign_type)
