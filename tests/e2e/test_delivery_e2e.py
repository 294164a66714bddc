"""End to end with real processes: HTTP changes reach both delivery tables, even past a Redis outage."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.e2e.conftest import System
from tests.processes import wait_until

pytestmark = pytest.mark.e2e

TOKYO = ZoneInfo("Asia/Tokyo")
APPLIED_WITHIN = 5.0
LARGER_IS_TOP = {"mass"}

Row = tuple[str, int, dt.date]


class Footers:
    """What the planner expects each target to show: the ordered links of each day."""

    def __init__(self) -> None:
        self.days: dict[tuple[str, dt.date], list[str]] = {}

    def rows(self, target: str) -> Counter[Row]:
        rows: Counter[Row] = Counter()
        for (name, day), links in self.days.items():
            if name != target:
                continue
            for rank, link in enumerate(links, start=1):
                priority = len(links) + 1 - rank if target in LARGER_IS_TOP else rank
                rows[(link, priority, day)] += 1
        return rows


def _png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 120), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _register(system: System, title: str, link: str, color: str) -> dict[str, Any]:
    fields = {"title": title, "link_url": link, "campaign_type": "sale"}
    response = system.api.multipart("/api/v1/banners", fields, "banner.png", _png(color))
    assert response.status == 201, response.body
    body: dict[str, Any] = response.body
    return body


def _target_rows(system: System, target: str) -> Counter[Row]:
    """The target's rows as (link, priority, local display date)."""
    with system.targets[target].connect() as conn:
        rows = conn.execute(
            sa.text(f"SELECT BANNER_LINK_URL, DISP_PRIORITY, DISP_START_DT FROM {system.tables[target]}")
        ).all()
    return Counter((link, int(priority), start.date()) for link, priority, start in rows)


def _expect(system: System, footers: Footers, target: str, within: float) -> None:
    expected = footers.rows(target)
    wait_until(
        lambda: _target_rows(system, target) == expected,
        timeout=within,
        what=f"{target} to hold {sorted(expected)} (it holds {sorted(_target_rows(system, target))})",
    )


def test_changes_through_http_reach_both_targets(system: System) -> None:
    api = system.api
    footers = Footers()
    for target in ("personalized", "mass"):
        assert api.request("POST", f"/api/v1/sync/targets/{target}/resume").status == 200
    today = dt.datetime.now(TOKYO).date()
    days = [today + dt.timedelta(days=i) for i in range(3)]
    link_a, link_b = "https://shop.example.com/a", "https://shop.example.com/b"
    a = _register(system, "Winter sale", link_a, "red")
    b = _register(system, "Free shipping", link_b, "blue")

    for banner in (a, b):
        body = {"banner_id": banner["id"], "start_date": days[0].isoformat(), "end_date": days[2].isoformat()}
        placed = api.request("POST", "/api/v1/schedule", body)
        assert placed.status == 201, placed.body
    for target in ("personalized", "mass"):
        for day in days:
            footers.days[(target, day)] = [link_a, link_b]
    _expect(system, footers, "personalized", APPLIED_WITHIN)
    _expect(system, footers, "mass", APPLIED_WITHIN)

    # Reorder the first day of "personalized": b above a.
    day_path = f"/api/v1/schedule/days/{days[0]}?target=personalized"
    first_day = api.request("GET", day_path)
    ids = [entry["id"] for entry in first_day.body["entries"]]
    etag = first_day.headers["ETag"]
    reordered = api.request("PUT", day_path, {"entry_ids": ids[::-1]}, {"If-Match": etag})
    assert reordered.status == 200, reordered.body
    footers.days[("personalized", days[0])] = [link_b, link_a]
    _expect(system, footers, "personalized", APPLIED_WITHIN)

    # Edit a link: every day showing banner a, on both targets, changes.
    current = api.request("GET", f"/api/v1/banners/{a['id']}")
    link_a2 = "https://shop.example.com/a2"
    edited = api.request(
        "PATCH", f"/api/v1/banners/{a['id']}", {"link_url": link_a2}, {"If-Match": current.headers["ETag"]}
    )
    assert edited.status == 200, edited.body
    footers.days = {
        key: [link_a2 if x == link_a else x for x in links] for key, links in footers.days.items()
    }
    _expect(system, footers, "personalized", APPLIED_WITHIN)
    _expect(system, footers, "mass", APPLIED_WITHIN)

    # Remove one entry: b on the last day of "mass".
    last_day = api.request("GET", f"/api/v1/schedule/days/{days[2]}?target=mass")
    b_entry = next(e for e in last_day.body["entries"] if e["banner_id"] == b["id"])
    assert api.request("DELETE", f"/api/v1/schedule/entries/{b_entry['id']}").status == 204
    footers.days[("mass", days[2])] = [link_a2]
    _expect(system, footers, "mass", APPLIED_WITHIN)

    # Redis down: the API still accepts the change; once Redis is back the beat delivers it.
    system.redis.stop()
    removal = (
        f"/api/v1/schedule?banner_id={a['id']}&start_date={days[1]}&end_date={days[1]}&targets=personalized"
    )
    removed = api.request("DELETE", removal)
    assert removed.status == 200, removed.body
    system.redis.start()
    footers.days[("personalized", days[1])] = [link_b]
    _expect(system, footers, "personalized", system.beat_interval + APPLIED_WITHIN)
