"""Users and their tokens: create, change, issue, revoke and list, each write audited."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banner_api.audit.record import record
from banner_api.auth.roles import ROLES, VIEWS
from banner_api.auth.tokens import make_token
from banner_api.context import AppServices
from banner_api.errors import Conflict, NotFound, ValidationFailed, field_error
from banner_common.models import ApiToken, User, utcnow

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


@dataclass(frozen=True)
class UserFields:
    """What a user is allowed; None means "not given" (only when changing a user)."""

    roles: Sequence[str] | None = None
    campaign_types: Sequence[str] | None = None
    views: Sequence[str] | None = None
    disabled: bool | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the bearer string, shown this once and never stored


def user_state(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "roles": list(user.role_list),
        "campaign_types": list(user.campaign_type_list),
        "views": list(user.view_list),
        "disabled": user.disabled,
    }


def token_state(token: ApiToken) -> dict[str, Any]:
    """A token as the audit trail and the API show it: never its secret or hash."""
    return {
        "id": token.id,
        "user": token.user.name,
        "prefix": token.prefix,
        "label": token.label,
        "expires_at": token.expires_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def create_user(svc: AppServices, name: str, fields: UserFields) -> User:
    if not _NAME.match(name):
        raise field_error("name", "1-100 letters, digits and . _ @ -, starting with a letter or digit")
    checked = _checked(svc, fields)
    if not checked.roles:
        raise field_error("roles", f"give at least one role: {', '.join(ROLES)}")
    with svc.unit_of_work() as uow:
        user = User(name=name, roles="", campaign_types="", views="", disabled=False)
        _assign(user, checked)
        uow.session.add(user)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"a user named {name!r} exists already", {"name": ["taken"]}) from exc
        record(uow.session, "user.create", "user", name, None, user_state(user))
        uow.commit()
        return user


def update_user(svc: AppServices, name: str, fields: UserFields) -> User:
    checked = _checked(svc, fields)
    if checked.roles is not None and not checked.roles:
        raise field_error("roles", f"give at least one role: {', '.join(ROLES)}")
    with svc.unit_of_work() as uow:
        user = _user(uow.session, name)
        before = user_state(user)
        _assign(user, checked)
        after = user_state(user)
        if after != before:
            record(uow.session, "user.update", "user", name, before, after)
        uow.commit()
        return user


def get_user(svc: AppServices, name: str) -> User:
    with svc.unit_of_work() as uow:
        return _user(uow.session, name)


def list_users(svc: AppServices) -> list[User]:
    with svc.unit_of_work() as uow:
        return list(uow.session.scalars(select(User).order_by(User.name)).all())


def issue_token(svc: AppServices, name: str, expires_in_days: int | None, label: str = "") -> IssuedToken:
    days = expires_in_days if expires_in_days is not None else svc.settings.token_default_days
    if not 1 <= days <= svc.settings.token_max_days:
        raise field_error("expires_in_days", f"must be 1..{svc.settings.token_max_days}")
    with svc.unit_of_work() as uow:
        user = _user(uow.session, name)
        made = make_token()
        now = utcnow()
        token = ApiToken(
            user=user,
            prefix=made.prefix,
            token_hash=made.token_hash,
            label=label,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        uow.session.add(token)
        uow.session.flush()
        record(uow.session, "token.issue", "token", token.id, None, token_state(token))
        uow.commit()
        return IssuedToken(token, made.secret)


def list_tokens(svc: AppServices, name: str) -> list[ApiToken]:
    with svc.unit_of_work() as uow:
        user = _user(uow.session, name)
        tokens = uow.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
        ).all()
        for token in tokens:
            _ = token.user  # loaded for serialisation after the session closes
        return list(tokens)


def revoke_token(svc: AppServices, token_id: int) -> ApiToken:
    """Revoke a token at once; revoking it again changes nothing."""
    with svc.unit_of_work() as uow:
        token = uow.session.get(ApiToken, token_id) if 0 < token_id <= 2_147_483_647 else None
        if token is None:
            raise NotFound(f"no token {token_id}")
        _ = token.user
        if token.revoked_at is None:
            before = token_state(token)
            token.revoked_at = utcnow()
            record(uow.session, "token.revoke", "token", token.id, before, token_state(token))
            uow.commit()
        return token


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def _checked(svc: AppServices, fields: UserFields) -> UserFields:
    errors: dict[str, list[str]] = {}
    for field, given, allowed in (
        ("roles", fields.roles, ROLES),
        ("campaign_types", fields.campaign_types, svc.settings.campaign_types),
        ("views", fields.views, VIEWS),
    ):
        unknown = sorted(set(given or ()) - set(allowed))
        if unknown:
            errors[field] = [f"unknown {unknown}; use some of: {', '.join(allowed)}"]
    if errors:
        raise ValidationFailed(f"invalid {', '.join(errors)}", errors)
    return UserFields(
        roles=_ordered(fields.roles),
        campaign_types=_ordered(fields.campaign_types),
        views=_ordered(fields.views),
        disabled=fields.disabled,
    )


def _ordered(values: Sequence[str] | None) -> tuple[str, ...] | None:
    return tuple(sorted(set(values))) if values is not None else None


def _assign(user: User, fields: UserFields) -> None:
    if fields.roles is not None:
        user.roles = ",".join(fields.roles)
    if fields.campaign_types is not None:
        user.campaign_types = ",".join(fields.campaign_types)
    if fields.views is not None:
        user.views = ",".join(fields.views)
    if fields.disabled is not None:
        user.disabled = fields.disabled
