"""Turning an Authorization header into a Principal, or a reason why not."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from banner_api.auth import tokens
from banner_api.auth.oidc import InvalidOidcToken, OidcVerifier
from banner_api.auth.roles import Principal, scope_set
from banner_common.models import ApiToken, User, utcnow

# Recording every use would write on every request; once a minute says enough about "last used".
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class PrincipalCache:
    """Personal tokens this process checked in the last few seconds, by their hash.

    Each request would otherwise cost a database read for its token. Revoking a token or changing a
    user clears this process's cache at once (see `forget`); other API processes notice within
    `seconds` (MAILBANNER_AUTH_CACHE_SECONDS).
    """

    def __init__(
        self, seconds: float, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[Principal, float, dt.datetime]] = {}

    def get(self, secret: str, now: dt.datetime) -> Principal | None:
        if self.seconds <= 0:
            return None
        key = tokens.hash_token(secret)
        found = self._entries.get(key)
        if found is None:
            return None
        principal, fresh_until, expires_at = found
        if self._clock() >= fresh_until or expires_at <= now:
            del self._entries[key]
            return None
        return principal

    def put(self, secret: str, principal: Principal, expires_at: dt.datetime) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # bounded: many distinct tokens at once just means more reads
        self._entries[tokens.hash_token(secret)] = (principal, self._clock() + self.seconds, expires_at)

    def forget(self) -> None:
        self._entries.clear()


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
    header: str | None,
    session_factory: sessionmaker[Session],
    oidc: OidcVerifier | None,
    cache: PrincipalCache | None = None,
) -> Principal:
    secret = bearer_token(header)
    if tokens.looks_like_jwt(secret):
        if oidc is None:
            raise AuthenticationFailed("invalid token")
        try:
            return oidc.principal(secret)
        except InvalidOidcToken as exc:
            raise AuthenticationFailed("invalid or expired token") from exc
    if cache is not None:
        cached = cache.get(secret, utcnow())
        if cached is not None:
            return cached
    return _personal_token(secret, session_factory, cache)


def _personal_token(
    secret: str, session_factory: sessionmaker[Session], cache: PrincipalCache | None
) -> Principal:
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
        principal = Principal(
            name=user.name,
            roles=frozenset(user.role_list),
            campaign_types=scope_set(user.campaign_type_list),
            views=scope_set(user.view_list),
            via="token",
            token_id=token.id,
        )
        if cache is not None:
            cache.put(secret, principal, token.expires_at)
        return principal
