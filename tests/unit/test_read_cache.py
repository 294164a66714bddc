"""The API process's read cache: one content version per answer, bounded by the bytes it holds."""

from __future__ import annotations

from banner_api.read_cache import CachedBody, ReadCache


def body(version: int, size: int = 10) -> CachedBody:
    return CachedBody(version, b"x" * size, (("ETag", f'"{version}"'),))


def test_an_answer_is_reused_only_for_the_version_it_was_built_from() -> None:
    cache = ReadCache(1000)
    cache.put("day", body(7))

    assert cache.get("day", 7) == body(7)
    assert cache.get("day", 8) is None
    assert cache.get("calendar", 7) is None


def test_a_newer_answer_replaces_the_older_one() -> None:
    cache = ReadCache(1000)
    cache.put("day", body(7))
    cache.put("day", body(8))

    assert cache.get("day", 8) == body(8)
    assert cache.get("day", 7) is None
    assert len(cache) == 1


def test_the_least_recently_used_answers_go_first_when_full() -> None:
    cache = ReadCache(100)
    for key in ("a", "b", "c", "d"):
        cache.put(key, body(1, 25))
    assert cache.get("a", 1) is not None  # now the most recently used

    cache.put("e", body(1, 25))

    assert [key for key in "abcde" if cache.get(key, 1) is not None] == ["a", "c", "d", "e"]


def test_an_answer_larger_than_a_quarter_of_the_cache_is_not_kept() -> None:
    cache = ReadCache(100)
    cache.put("small", body(1, 25))
    cache.put("large", body(1, 26))

    assert cache.get("large", 1) is None
    assert cache.get("small", 1) is not None
