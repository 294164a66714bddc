"""Personal API tokens: random, shown once, kept only as a SHA-256 hash found by a short public prefix."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

TOKEN_MARK = "mbt"  # noqa: S105 -- the public mark of our tokens, not a secret
_SHAPE = re.compile(r"^mbt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewToken:
    """A freshly made token: `secret` is the whole bearer string, shown to its owner once."""

    prefix: str
    secret: str
    token_hash: str


def make_token() -> NewToken:
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(prefix=prefix, secret=secret, token_hash=hash_token(secret))


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_prefix(secret: str) -> str | None:
    """The lookup prefix of a well-formed personal token, or None for anything else."""
    found = _SHAPE.match(secret)
    return found.group(1) if found else None


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(secret), stored_hash)


def looks_like_jwt(secret: str) -> bool:
    return secret.count(".") == 2 and not secret.startswith(f"{TOKEN_MARK}_")
