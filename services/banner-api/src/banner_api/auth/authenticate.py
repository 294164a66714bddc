"""Turning an Authorization header into a Principal, or a reason why not."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from banner_api.auth import tokens
from banner_api.auth.oidc import InvalidOidcToken, OidcVerifier
from banner_api.auth.roles import Principal, scope_set
from banner_common.models import ApiToken, User, utcnow

# Recording every use would write on every request; once a minute says enough about "last used".
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class AuthenticationFailed(Exception):
    """No usable credentials; the message says why (never which part of a secret was wrong)."""


def bearer_token(header: str | None) -> str:
    if not header:
        raise AuthenticationFailed("send Authorization: Bearer <token>")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthenticationFailed("use the Bearer scheme: Authorization: Bearer <token>")
    return value.strip()


def authenticate(
    header: str | None, session_factory: sessionmaker[Session], oidc: OidcVerifier | None
) -> Principal:
    secret = bearer_token(header)
    if tokens.looks_like_jwt(secret):
        if oidc is None:
            raise AuthenticationFailed("invalid token")
        try:
            return oidc.principal(secret)
        except InvalidOidcToken as exc:
            raise AuthenticationFailed("invalid or expired token") from exc
    return _personal_token(secret, session_factory)


def _personal_token(secret: str, session_factory: sessionmaker[Session]) -> Principal:
    prefix = tokens.token_prefix(secret)
    if prefix is None:
        raise AuthenticationFailed("invalid token")
    with session_factory() as session:
        found = session.execute(
            select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.prefix == prefix)
        ).first()
        if found is None or not tokens.matches(secret, found[0].token_hash):
            raise AuthenticationFailed("invalid token")
        token, user = found
        now = utcnow()
        if token.revoked_at is not None:
            raise AuthenticationFailed("this token was revoked")
        if token.expires_at <= now:
            raise AuthenticationFailed("this token has expired")
        if user.disabled:
            raise AuthenticationFailed("this user is disabled")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            token.last_used_at = now
            session.commit()
        return Principal(
            name=user.name,
            roles=frozenset(user.role_list),
            campaign_types=scope_set(user.campaign_type_list),
            views=scope_set(user.view_list),
            via="token",
            token_id=token.id,
        )
