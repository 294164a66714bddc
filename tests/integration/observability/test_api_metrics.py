"""The API's /metrics: requests by route and status, events published and failed, the optional token,
and counters added up across processes through PROMETHEUS_MULTIPROC_DIR (as under gunicorn)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from banner_api import create_app
from banner_api.publish import CeleryPublisher
from banner_common.settings import Settings
from banner_common.task_names import SYNC_REQUEST
from tests.factories import authorized_client, insert_banner
from tests.integration.observability.ops import parse, scrape_api, value


class InMemoryCelery:
    """Takes sent tasks like a broker would, or refuses them all like a broker that is down."""

    def __init__(self, *, down: bool) -> None:
        self.down = down
        self.sent: list[str] = []

    def send_task(self, name: str, **_: Any) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append(name)


def test_requests_are_counted_by_route_pattern_and_status(app: Flask, client: FlaskClient) -> None:
    banner = insert_banner(app)
    before = parse(scrape_api(client))
    assert client.get(f"/api/v1/banners/{banner}").status_code == 200
    assert client.get("/api/v1/banners/999999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert app.test_client().get("/api/v1/banners").status_code == 401
    after = parse(scrape_api(client))

    def delta(sample: str, **labels: str) -> float:
        return value(after, sample, **labels) - value(before, sample, **labels)

    route = "/api/v1/banners/<int:banner_id>"
    assert delta("mailbanner_http_requests_total", method="GET", route=route, status="200") == 1
    assert delta("mailbanner_http_requests_total", method="GET", route=route, status="404") == 1
    assert delta("mailbanner_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert delta("mailbanner_http_requests_total", method="GET", route="/api/v1/banners", status="401") == 1
    assert delta("mailbanner_http_request_duration_seconds_count", method="GET", route=route) == 2


def test_events_published_and_failed_are_counted(settings: Settings) -> None:
    broker = InMemoryCelery(down=False)
    app = create_app(settings, publisher=CeleryPublisher(broker))
    client = authorized_client(app)
    counts = {}
    for down in (False, True):
        broker.down = down
        before = parse(scrape_api(client))
        body = {"banner_id": insert_banner(app), "start_date": "2030-01-02"}
        assert client.post("/api/v1/schedule", json=body).status_code == 201
        after = parse(scrape_api(client))
        counts[down] = tuple(
            value(after, name) - value(before, name)
            for name in ("mailbanner_events_published_total", "mailbanner_events_publish_failed_total")
        )
    app.extensions["mailbanner"].engine.dispose()
    assert counts == {False: (1.0, 0.0), True: (0.0, 1.0)}
    assert broker.sent == [SYNC_REQUEST]


def test_metrics_need_the_configured_token(settings: Settings) -> None:
    app = create_app(replace(settings, metrics_token="s3cret-scrape"))
    anonymous = app.test_client()
    refused = anonymous.get("/metrics")
    assert refused.status_code == 401
    assert refused.json["code"] == 401
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    text = scrape_api(anonymous, Authorization="Bearer s3cret-scrape")
    assert value(parse(text), "mailbanner_banner_db_up") == 1
    app.extensions["mailbanner"].engine.dispose()


def test_metrics_are_public_without_a_token(app: Flask) -> None:
    assert "mailbanner_sync_lag_seconds" in scrape_api(app.test_client())


WORKER_PROCESS = textwrap.dedent(
    """
    import sys
    from banner_api.observability.api_metrics import api_metrics, count_publish
    for _ in range(int(sys.argv[1])):
        api_metrics().requests.labels("GET", "/api/v1/kpis", "200").inc()
        count_publish(succeeded=True)
    """
)


def test_counters_of_several_processes_add_up_in_the_multiprocess_directory(
    settings: Settings, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(directory), "PATH": ""}
    for count in (2, 3):
        subprocess.run([sys.executable, "-c", WORKER_PROCESS, str(count)], env=env, check=True)
    scrape = textwrap.dedent(
        f"""
        from dataclasses import replace
        from banner_api import create_app
        from banner_common.settings import Settings
        app = create_app(replace(Settings(), database_url={settings.database_url!r},
                                 rate_limit_storage_url="memory://", events_enabled=False))
        print(app.test_client().get("/metrics").get_data(as_text=True))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True
    )
    samples = parse(result.stdout)
    labels = {"method": "GET", "route": "/api/v1/kpis", "status": "200"}
    assert value(samples, "mailbanner_http_requests_total", **labels) == 5
    assert value(samples, "mailbanner_events_published_total") == 5
    assert value(samples, "mailbanner_banner_db_up") == 1
