"""The API process's short cache of checked personal tokens."""

from __future__ import annotations

import datetime as dt

from banner_api.auth.authenticate import PrincipalCache
from banner_api.auth.roles import Principal

NOW = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=30)
ANN = Principal(name="ann", roles=frozenset({"planner"}), token_id=1)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_checked_token_is_reused_until_its_seconds_are_up() -> None:
    clock = Clock()
    cache = PrincipalCache(5, clock=clock)
    cache.put("secret-a", ANN, LATER)

    clock.now += 4.9
    assert cache.get("secret-a", NOW) == ANN
    clock.now += 0.2
    assert cache.get("secret-a", NOW) is None
    assert cache.get("secret-a", NOW) is None  # gone, not revived


def test_a_cached_token_stops_at_its_own_expiry() -> None:
    cache = PrincipalCache(60, clock=Clock())
    cache.put("secret-a", ANN, NOW + dt.timedelta(seconds=1))

    assert cache.get("secret-a", NOW) == ANN
    assert cache.get("secret-a", NOW + dt.timedelta(seconds=1)) is None


def test_only_the_same_secret_finds_the_entry() -> None:
    cache = PrincipalCache(5, clock=Clock())
    cache.put("secret-a", ANN, LATER)

    assert cache.get("secret-b", NOW) is None


def test_forget_drops_every_entry() -> None:
    cache = PrincipalCache(5, clock=Clock())
    cache.put("secret-a", ANN, LATER)
    cache.put("secret-b", ANN, LATER)

    cache.forget()

    assert cache.get("secret-a", NOW) is None
    assert cache.get("secret-b", NOW) is None


def test_zero_seconds_turns_the_cache_off() -> None:
    cache = PrincipalCache(0, clock=Clock())
    cache.put("secret-a", ANN, LATER)

    assert cache.get("secret-a", NOW) is None


def test_the_cache_never_grows_past_its_bound() -> None:
    cache = PrincipalCache(5, max_entries=3, clock=Clock())
    for n in range(10):
        cache.put(f"secret-{n}", ANN, LATER)

    held = [n for n in range(10) if cache.get(f"secret-{n}", NOW) is not None]

    assert len(held) <= 3
    assert 9 in held  # the newest is always kept
