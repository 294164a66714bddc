"""The API's own metric objects, made on first use (importing the API never fixes the multi-process mode)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from banner_common import metrics as names

if TYPE_CHECKING:
    from prometheus_client import Counter, Histogram


@dataclass(frozen=True)
class ApiMetrics:
    requests: Counter
    request_duration: Histogram
    events_published: Counter
    events_publish_failed: Counter
    read_cache_lookups: Counter


@functools.cache
def api_metrics() -> ApiMetrics:
    """The process's metric objects. prometheus_client picks single- or multi-process values from
    PROMETHEUS_MULTIPROC_DIR when a value is first made, which is here, inside a gunicorn worker."""
    from prometheus_client import Counter, Histogram

    return ApiMetrics(
        requests=Counter(
            names.HTTP_REQUESTS, "HTTP requests answered, by route pattern and status",
            ["method", "route", "status"],
        ),
        request_duration=Histogram(
            names.HTTP_REQUEST_DURATION, "Time to answer an HTTP request, by route pattern",
            ["method", "route"],
        ),
        events_published=Counter(names.EVENTS_PUBLISHED, "Change events handed to the broker"),
        events_publish_failed=Counter(
            names.EVENTS_PUBLISH_FAILED, "Change events the broker refused (the beat delivers them anyway)"
        ),
        read_cache_lookups=Counter(
            names.READ_CACHE_LOOKUPS, "Cacheable reads answered from this process's read cache (hit) or not",
            ["result"],
        ),
    )  # fmt: skip


def count_publish(succeeded: bool) -> None:
    """Count one change event published or failed to publish."""
    found = api_metrics()
    (found.events_published if succeeded else found.events_publish_failed).inc()
