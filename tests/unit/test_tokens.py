"""Personal API tokens and roles: what a token looks like, how it is kept, what each role grants."""

from __future__ import annotations

import pytest

from banner_api.auth.roles import ROLES, Permission, Principal, scope_set
from banner_api.auth.tokens import hash_token, looks_like_jwt, make_token, matches, token_prefix


def test_a_token_carries_its_public_prefix_and_is_kept_only_as_its_sha256() -> None:
    made = make_token()
    assert made.secret.startswith(f"mbt_{made.prefix}_")
    assert token_prefix(made.secret) == made.prefix
    assert made.token_hash == hash_token(made.secret)
    assert len(made.token_hash) == 64
    assert made.secret not in made.token_hash
    assert matches(made.secret, made.token_hash)


def test_tokens_are_unique_and_a_changed_character_does_not_match() -> None:
    tokens = [make_token() for _ in range(200)]
    assert len({t.secret for t in tokens}) == len({t.prefix for t in tokens}) == 200
    made = tokens[0]
    tampered = made.secret[:-1] + ("A" if made.secret[-1] != "A" else "B")
    assert token_prefix(tampered) == made.prefix
    assert not matches(tampered, made.token_hash)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "mbt_",
        "mbt_0123456789ab",
        "mbt_0123456789AB_" + "A" * 43,
        "mbt_0123456789ab_" + "A" * 42,
        "x" * 60,
    ],
)
def test_malformed_tokens_have_no_prefix(secret: str) -> None:
    assert token_prefix(secret) is None


def test_jwts_are_told_apart_from_personal_tokens() -> None:
    assert looks_like_jwt("eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl")
    assert not looks_like_jwt(make_token().secret)


@pytest.mark.parametrize(
    ("role", "granted"),
    [
        ("viewer", {Permission.READ}),
        ("planner", {Permission.READ, Permission.EDIT}),
        ("approver", {Permission.READ, Permission.EDIT, Permission.APPROVE}),
        ("operator", {Permission.READ, Permission.OPERATE}),
        ("admin", {Permission.READ, Permission.ADMIN}),
    ],
)
def test_each_role_grants_what_the_issue_describes(role: str, granted: set[Permission]) -> None:
    principal = Principal(name="someone", roles=frozenset({role}))
    assert principal.permissions == granted | {Permission.AUTHENTICATED}


def test_roles_add_up_and_scopes_narrow() -> None:
    both = Principal(name="x", roles=frozenset({"planner", "operator"}), campaign_types=scope_set(["event"]))
    assert both.can(Permission.EDIT)
    assert both.can(Permission.OPERATE)
    assert not both.can(Permission.APPROVE)
    assert both.sees_campaign_type("event")
    assert not both.sees_campaign_type("sale")
    assert Principal(name="y", roles=frozenset(ROLES)).sees_campaign_type("sale")
    assert scope_set([]) is None
    contractor = Principal(name="c", roles=frozenset({"viewer"}), views=scope_set(["sync"]))
    assert contractor.sees_view("sync")
    assert not contractor.sees_view("banners")
    assert contractor.sees_view(None)
