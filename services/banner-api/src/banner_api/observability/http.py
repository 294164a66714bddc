"""Request metrics hooks and the /metrics endpoint of the API (multi-process safe under gunicorn)."""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterable, Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from banner_api.errors import error_body
from banner_api.observability.api_metrics import api_metrics
from banner_api.observability.collector import BannerStateCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"  # 404s are counted under one label, never one per requested path

blp = Blueprint("metrics", __name__)


class _Joined(Collector):
    def __init__(self, sources: Iterable[Collector]) -> None:
        self._sources = tuple(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self._sources:
            yield from source.collect()


def process_metrics() -> Collector:
    """This process's counters, or every gunicorn worker's when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


@blp.get("/metrics")
def metrics() -> Response:
    token: str = current_app.config["MAILBANNER_METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            body = error_body(401, "/metrics needs the bearer token of MAILBANNER_METRICS_TOKEN")
            return Response(
                current_app.json.dumps(body),
                status=401,
                mimetype="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="mailbanner-metrics"'},
            )
    state: BannerStateCollector = current_app.extensions["mailbanner_metrics"]
    payload = generate_latest(_Joined([process_metrics(), state]))
    return Response(payload, mimetype=CONTENT_TYPE_LATEST)


def install_metrics(app: Flask, state: BannerStateCollector, token: str) -> None:
    """Time and count every request, and serve /metrics (public unless a token is configured)."""
    app.config["MAILBANNER_METRICS_TOKEN"] = token
    app.extensions["mailbanner_metrics"] = state
    recorded = api_metrics()

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        recorded.requests.labels(request.method, route, str(response.status_code)).inc()
        if started is not None:
            elapsed = time.perf_counter() - started
            recorded.request_duration.labels(request.method, route).observe(elapsed)
        return response

    app.register_blueprint(blp)
