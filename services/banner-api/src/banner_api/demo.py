"""Demo users (a token per role), banners and schedule, loaded through the public REST API."""

from __future__ import annotations

import datetime as dt
import io

from flask import current_app
from flask.testing import FlaskClient
from PIL import Image, ImageDraw

from banner_api.auth import accounts
from banner_api.auth.roles import ROLES
from banner_api.context import AppServices, services
from banner_common.delivery import today_in

DEMO_USER_PREFIX = "demo-"
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
    """Give each role a demo user and a fresh token, then register the demo banners and schedule this
    month and the next (only the first time); the summary lists the tokens."""
    svc = services()
    tokens = demo_tokens(svc)
    summary = _load_schedule(svc, tokens)
    width = max(len(role) for role in tokens)
    lines = [
        summary,
        f"demo tokens (shown once; valid {svc.settings.token_default_days} days), "
        'send as "Authorization: Bearer <token>":',
        *(f"  {role:<{width}}  {DEMO_USER_PREFIX}{role:<{width}}  {token}" for role, token in tokens.items()),
    ]
    return "\n".join(lines)


def demo_tokens(svc: AppServices) -> dict[str, str]:
    """A user per role (demo-viewer, demo-planner, ...), made when missing, and a new token for each."""
    existing = {user.name for user in accounts.list_users(svc)}
    tokens = {}
    for role in ROLES:
        name = f"{DEMO_USER_PREFIX}{role}"
        if name not in existing:
            accounts.create_user(svc, name, accounts.UserFields(roles=[role]))
        tokens[role] = accounts.issue_token(svc, name, None, label="demo").secret
    return tokens


def _load_schedule(svc: AppServices, tokens: dict[str, str]) -> str:
    planner = _client(tokens["planner"])
    existing = planner.get("/api/v1/banners?archived=all&limit=1").get_json()
    if existing["total"] > 0:
        return f"demo: the banner database already holds {existing['total']} banners; nothing loaded"

    banner_ids = []
    for title, campaign, color, link in DEMO_BANNERS:
        response = planner.post(
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
                response = planner.post(
                    "/api/v1/schedule", json={"banner_id": banner_id, "start_date": day.isoformat()}
                )
                if response.status_code != 201:
                    raise RuntimeError(f"demo schedule refused: {response.get_json()}")
                placements += 1
        day += dt.timedelta(days=1)
    approved = _approve_everything(_client(tokens["approver"])) if svc.settings.approval_required else 0
    operator = _client(tokens["operator"])
    for target in svc.target_names:
        operator.post(f"/api/v1/sync/targets/{target}/resume")
    approvals = f"; {approved} entries approved by {DEMO_USER_PREFIX}approver" if approved else ""
    return (
        f"demo: {len(banner_ids)} banners, {placements} placements from {first} to {last} "
        f"for {', '.join(svc.target_names)}{approvals}; targets resumed"
    )


def _approve_everything(approver: FlaskClient) -> int:
    """With approval required, the demo's approver (not the planner who made them) approves the demo."""
    approved = 0
    while True:
        pending = approver.get("/api/v1/approvals?limit=500").get_json()["items"]
        if not pending:
            return approved
        response = approver.post("/api/v1/approvals", json={"entry_ids": [e["id"] for e in pending]})
        if response.status_code != 200:
            raise RuntimeError(f"demo approval refused: {response.get_json()}")
        approved += len(pending)


def _client(token: str) -> FlaskClient:
    client = current_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client
