"""Demo banners and schedule, loaded through the public REST API so every rule applies to them too."""

from __future__ import annotations

import datetime as dt
import io

from flask import current_app
from PIL import Image, ImageDraw

from banner_api.context import services
from banner_common.delivery import today_in

DEMO_BANNERS = (
    ("Winter sale: up to 50% off", "sale", "#1f6feb", "https://shop.example.com/winter-sale"),
    ("Free shipping weekend", "sale", "#2da44e", "https://shop.example.com/free-shipping"),
    ("New year lucky bags", "event", "#cf222e", "https://shop.example.com/lucky-bags"),
    ("Members' points x3", "information", "#8250df", "https://shop.example.com/points"),
    ("Brand story: our makers", "brand", "#bf8700", "https://shop.example.com/makers"),
    ("Partner offer: travel", "partner", "#0969da", "https://travel.example.com/offer"),
    ("Gift cards for everyone", "sale", "#d1242f", "https://shop.example.com/gift-cards"),
    ("App download campaign", "information", "#1a7f37", "https://shop.example.com/app"),
)


def _banner_image(title: str, color: str) -> bytes:
    image = Image.new("RGB", (600, 120), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, 595, 115), outline="white", width=3)
    draw.text((24, 48), title, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def load_demo() -> str:
    """Register the demo banners and schedule this month and the next; does nothing the second time."""
    svc = services()
    client = current_app.test_client()
    existing = client.get("/api/v1/banners?archived=all&limit=1").get_json()
    if existing["total"] > 0:
        return f"demo: the banner database already holds {existing['total']} banners; nothing loaded"

    banner_ids = []
    for title, campaign, color, link in DEMO_BANNERS:
        response = client.post(
            "/api/v1/banners",
            data={
                "title": title,
                "campaign_type": campaign,
                "link_url": link,
                "notes": "demo data",
                "image": (io.BytesIO(_banner_image(title, color)), "banner.png"),
            },
            content_type="multipart/form-data",
        )
        if response.status_code != 201:
            raise RuntimeError(f"demo banner refused: {response.get_json()}")
        banner_ids.append(response.get_json()["id"])

    today = today_in(svc.settings.tz)
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=62)).replace(day=1) - dt.timedelta(days=1)
    placements = 0
    day = first
    while day <= last:
        # Every seventh day is left empty so a planner sees what a coverage gap looks like.
        if day.toordinal() % 7 != 3:
            count = 2 + day.toordinal() % 3
            for offset in range(count):
                banner_id = banner_ids[(day.toordinal() + offset * 3) % len(banner_ids)]
                response = client.post(
                    "/api/v1/schedule", json={"banner_id": banner_id, "start_date": day.isoformat()}
                )
                if response.status_code != 201:
                    raise RuntimeError(f"demo schedule refused: {response.get_json()}")
                placements += 1
        day += dt.timedelta(days=1)
    for target in svc.target_names:
        client.post(f"/api/v1/sync/targets/{target}/resume")
    return (
        f"demo: {len(banner_ids)} banners, {placements} placements from {first} to {last} "
        f"for {', '.join(svc.target_names)}; targets resumed"
    )
