"""OIDC access tokens: a JWT signed by the provider's published keys (JWKS), mapped onto our roles."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from banner_api.auth.roles import ROLES, Principal
from banner_common.logging import get_logger
from banner_common.settings import Settings

log = get_logger(__name__)

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
JWKS_CACHE_SECONDS = 300.0
JWKS_TIMEOUT_SECONDS = 5.0


class InvalidOidcToken(Exception):
    """The JWT is not one our provider issued for us, or it has expired."""


def fetch_jwks(url: str) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise InvalidOidcToken("the JWKS URL must be http(s)")
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_SECONDS) as reply:  # noqa: S310 -- scheme checked
        found: dict[str, Any] = json.loads(reply.read())
    return found


class OidcVerifier:
    """Verifies access tokens against the provider's keys, refetched when a key id is unknown."""

    def __init__(self, settings: Settings, fetch: Callable[[str], Mapping[str, Any]] = fetch_jwks) -> None:
        self._issuer = settings.oidc_issuer
        self._audience = settings.oidc_audience
        self._jwks_url = settings.oidc_jwks_url
        self._role_claim = settings.oidc_role_claim
        self._name_claim = settings.oidc_name_claim
        self._role_map = dict(pair.split("=", 1) for pair in settings.oidc_role_map)
        self._fetch = fetch
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal:
        claims = self._verified_claims(token)
        roles = self._roles(claims.get(self._role_claim))
        name = str(claims.get(self._name_claim) or claims.get("sub") or "")
        if not name:
            raise InvalidOidcToken("the token names nobody")
        return Principal(name=f"oidc:{name}", roles=frozenset(roles), via="oidc")

    def _verified_claims(self, token: str) -> dict[str, Any]:
        for refresh in (False, True):
            try:
                decoded = jwt.decode(token, self._key_set(refresh), algorithms=ALGORITHMS)
            except (JoseError, ValueError) as exc:
                if refresh:
                    raise InvalidOidcToken(str(exc)) from exc
                continue  # perhaps the provider rotated its keys: fetch them once more
            registry = JWTClaimsRegistry(
                iss={"essential": True, "value": self._issuer},
                aud={"essential": True, "value": self._audience},
                exp={"essential": True},
            )
            try:
                registry.validate(decoded.claims)
            except JoseError as exc:
                raise InvalidOidcToken(str(exc)) from exc
            return dict(decoded.claims)
        raise InvalidOidcToken("unverifiable token")

    def _key_set(self, refresh: bool) -> KeySet:
        with self._lock:
            stale = time.monotonic() - self._fetched_at > JWKS_CACHE_SECONDS
            if self._keys is None or stale or refresh:
                try:
                    self._keys = KeySet.import_key_set(dict(self._fetch(self._jwks_url)))  # type: ignore[arg-type]
                except (OSError, ValueError, JoseError) as exc:
                    log.warning("oidc_jwks_unavailable", error=str(exc))
                    if self._keys is None:
                        raise InvalidOidcToken("the provider's keys are unavailable") from exc
                self._fetched_at = time.monotonic()
            return self._keys

    def _roles(self, claimed: Any) -> set[str]:
        values = [claimed] if isinstance(claimed, str) else list(claimed or [])
        roles = set()
        for value in values:
            role = self._role_map.get(str(value)) if self._role_map else str(value)
            if role in ROLES:
                roles.add(role)
        return roles
