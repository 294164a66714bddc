"""Read responses kept per API process, reused while the banner database's content version stays."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import Engine, select

from banner_api.auth.current import current_principal
from banner_api.context import services
from banner_api.observability.api_metrics import api_metrics
from banner_common.models import ContentVersion

# The databases whose migration installs the triggers that move the content version.
CACHEABLE_DIALECTS = frozenset({"postgresql", "sqlite"})


@dataclass(frozen=True)
class CachedBody:
    version: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


class ReadCache:
    """Least recently used responses up to `max_bytes` of bodies, each valid for one content version."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, CachedBody] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()  # gunicorn's sync workers need none; a threaded server does

    def get(self, key: Hashable, version: int) -> CachedBody | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found.version != version:
                return None
            self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, entry: CachedBody) -> None:
        if len(entry.body) > self.max_bytes // 4:
            return  # one large answer never pushes out the rest
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous.body)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes:
                _key, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)


def make_read_cache(engine: Engine, max_mb: int) -> ReadCache | None:
    if max_mb <= 0 or engine.dialect.name not in CACHEABLE_DIALECTS:
        return None
    return ReadCache(max_mb * 1_000_000)


def content_version(engine: Engine) -> int | None:
    """The content version as committed now (None when its row is missing: then nothing is reused)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        version: int | None = conn.scalar(select(ContentVersion.version).where(ContentVersion.id == 1))
        return version


def cached_read(build: Callable[[], tuple[Any, Mapping[str, str]]]) -> Response:
    """The JSON response of a GET that shows only banners, schedule entries and days: reused as long as
    none of them changed, per path, query and what the caller may see.

    The version is read before `build` reads the data, so a kept body is never older than its version:
    a reader gets every change committed before its request.
    """
    svc = services()
    cache = svc.read_cache
    version = content_version(svc.engine) if cache is not None else None
    key = (request.path, tuple(sorted(request.args.items(multi=True))), current_principal().campaign_types)
    if cache is not None and version is not None:
        hit = cache.get(key, version)
        api_metrics().read_cache_lookups.labels("hit" if hit is not None else "miss").inc()
        if hit is not None:
            return Response(hit.body, mimetype="application/json", headers=list(hit.headers))
    body, headers = build()
    response = jsonify(body)
    response.headers.update(headers)
    if cache is not None and version is not None:
        cache.put(key, CachedBody(version, response.get_data(), tuple(headers.items())))
    return response
