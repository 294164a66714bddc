"""Every endpoint with every role: allowed 2xx, denied 403, no usable token 401; and the request limits."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select, update

from banner_api import create_app
from banner_api.auth.policy import ENDPOINT_RULES, PUBLIC_ENDPOINTS
from banner_api.auth.roles import ROLES
from banner_common.models import ApiToken, AuditEvent, ScheduleEntry
from banner_common.settings import Settings
from tests.factories import (
    RecordingPublisher,
    authorized_client,
    client_with_token,
    create_user,
    image_bytes,
    insert_banner,
    issue_token,
)

DAY = dt.date(2030, 5, 7)
ALL = frozenset(ROLES)
READERS = ALL
EDITORS = frozenset({"planner", "approver"})
APPROVERS = frozenset({"approver"})
OPERATORS = frozenset({"operator"})
ADMINS = frozenset({"admin"})

# What the issue asks of each role, written out per endpoint (independently of the policy table).
EXPECTED: dict[str, frozenset[str]] = {
    "banners.list_banners": READERS,
    "banners.get_banner": READERS,
    "banners.create_banner": EDITORS,
    "banners.update_banner": EDITORS,
    "banners.archive_banner": EDITORS,
    "banners.restore_banner": EDITORS,
    "schedule.read_day": READERS,
    "schedule.place": EDITORS,
    "schedule.remove_range": EDITORS,
    "schedule.reorder_day": EDITORS,
    "schedule.remove_entry": EDITORS,
    "calendar.read_month": READERS,
    "preview.preview": READERS,
    "approvals.list_pending": READERS,
    "approvals.approve_entries": APPROVERS,
    "approvals.approve_entry": APPROVERS,
    "approvals.approve_day": APPROVERS,
    "sync.list_targets": READERS,
    "sync.status": READERS,
    "sync.runs": READERS,
    "sync.pause": OPERATORS,
    "sync.resume": OPERATORS,
    "sync.sync_now": OPERATORS,
    "kpis.read_kpis": READERS,
    "annotations.list_annotations": READERS,
    "annotations.create_annotation": EDITORS | OPERATORS,
    "audit.list_events": READERS,
    "accounts.me": ALL,
    "accounts.list_users": ADMINS,
    "accounts.create_user": ADMINS,
    "accounts.get_user": ADMINS,
    "accounts.update_user": ADMINS,
    "accounts.list_tokens": ADMINS,
    "accounts.issue_token": ADMINS,
    "accounts.revoke_token": ADMINS,
}

_names = itertools.count(1)


@dataclass
class Call:
    method: str
    path: str
    kwargs: dict[str, Any]


class Bench:
    """Makes, for each attempt, a request that would succeed: fresh objects, current ETags."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.setup = authorized_client(app)

    def banner(self) -> int:
        return insert_banner(self.app, title=f"Banner {next(_names)}")

    def entry(self) -> int:
        banner = self.banner()
        placed = self.setup.post(
            "/api/v1/schedule", json={"banner_id": banner, "start_date": DAY.isoformat(), "targets": ["mass"]}
        )
        assert placed.status_code == 201, placed.json
        entry_id: int = placed.json["entries"][0]["id"]
        return entry_id

    def etag(self, path: str) -> str:
        return self.setup.get(path).headers["ETag"]

    def user(self) -> str:
        name = f"someone-{next(_names)}"
        create_user(self.app, name, ["viewer"])
        return name

    def token_id(self) -> int:
        name = self.user()
        issue_token(self.app, name)
        with self.app.extensions["mailbanner"].session_factory() as session:
            found: int = session.scalars(select(ApiToken.id).order_by(ApiToken.id.desc()).limit(1)).one()
        return found


def _upload() -> dict[str, Any]:
    return {
        "data": {
            "title": "New",
            "link_url": "https://shop.example.com/new",
            "campaign_type": "sale",
            "image": (io.BytesIO(image_bytes()), "banner.png"),
        },
        "content_type": "multipart/form-data",
    }


def _reorder(bench: Bench) -> Call:
    entry = bench.entry()
    path = f"/api/v1/schedule/days/{DAY}?target=mass"
    ids = [e["id"] for e in bench.setup.get(path).json["entries"]]
    assert entry in ids
    return Call("PUT", path, {"json": {"entry_ids": ids[::-1]}, "headers": {"If-Match": bench.etag(path)}})


def _update_banner(bench: Bench) -> Call:
    path = f"/api/v1/banners/{bench.banner()}"
    return Call("PATCH", path, {"json": {"title": "Renamed"}, "headers": {"If-Match": bench.etag(path)}})


CALLS: dict[str, Callable[[Bench], Call]] = {
    "banners.list_banners": lambda b: Call("GET", "/api/v1/banners", {}),
    "banners.get_banner": lambda b: Call("GET", f"/api/v1/banners/{b.banner()}", {}),
    "banners.create_banner": lambda b: Call("POST", "/api/v1/banners", _upload()),
    "banners.update_banner": _update_banner,
    "banners.archive_banner": lambda b: Call("DELETE", f"/api/v1/banners/{b.banner()}", {}),
    "banners.restore_banner": lambda b: Call("POST", f"/api/v1/banners/{b.banner()}/restore", {}),
    "schedule.read_day": lambda b: Call("GET", f"/api/v1/schedule/days/{DAY}?target=mass", {}),
    "schedule.place": lambda b: Call(
        "POST", "/api/v1/schedule", {"json": {"banner_id": b.banner(), "start_date": DAY.isoformat()}}
    ),
    "schedule.remove_range": lambda b: Call(
        "DELETE", f"/api/v1/schedule?banner_id={b.banner()}&start_date={DAY}", {}
    ),
    "schedule.reorder_day": _reorder,
    "schedule.remove_entry": lambda b: Call("DELETE", f"/api/v1/schedule/entries/{b.entry()}", {}),
    "calendar.read_month": lambda b: Call("GET", "/api/v1/calendar?month=2030-05", {}),
    "preview.preview": lambda b: Call("GET", f"/api/v1/preview?date={DAY}&target=mass", {}),
    "approvals.list_pending": lambda b: Call("GET", "/api/v1/approvals", {}),
    "approvals.approve_entries": lambda b: Call(
        "POST", "/api/v1/approvals", {"json": {"entry_ids": [b.entry()]}}
    ),
    "approvals.approve_entry": lambda b: Call("POST", f"/api/v1/schedule/entries/{b.entry()}/approve", {}),
    "approvals.approve_day": lambda b: Call("POST", f"/api/v1/schedule/days/{DAY}/approve?target=mass", {}),
    "sync.list_targets": lambda b: Call("GET", "/api/v1/sync/targets", {}),
    "sync.status": lambda b: Call("GET", "/api/v1/sync/status", {}),
    "sync.runs": lambda b: Call("GET", "/api/v1/sync/runs", {}),
    "sync.pause": lambda b: Call("POST", "/api/v1/sync/targets/mass/pause", {"json": {"reason": "test"}}),
    "sync.resume": lambda b: Call("POST", "/api/v1/sync/targets/mass/resume", {}),
    "sync.sync_now": lambda b: Call("POST", "/api/v1/sync/targets/mass/sync", {"json": {"force": False}}),
    "kpis.read_kpis": lambda b: Call("GET", "/api/v1/kpis", {}),
    "annotations.list_annotations": lambda b: Call("GET", "/api/v1/annotations", {}),
    "annotations.create_annotation": lambda b: Call(
        "POST", "/api/v1/annotations", {"json": {"text": "release 1.0", "tags": ["release"]}}
    ),
    "audit.list_events": lambda b: Call("GET", "/api/v1/audit", {}),
    "accounts.me": lambda b: Call("GET", "/api/v1/me", {}),
    "accounts.list_users": lambda b: Call("GET", "/api/v1/users", {}),
    "accounts.create_user": lambda b: Call(
        "POST", "/api/v1/users", {"json": {"name": f"new-{next(_names)}", "roles": ["viewer"]}}
    ),
    "accounts.get_user": lambda b: Call("GET", f"/api/v1/users/{b.user()}", {}),
    "accounts.update_user": lambda b: Call(
        "PATCH", f"/api/v1/users/{b.user()}", {"json": {"roles": ["planner"]}}
    ),
    "accounts.list_tokens": lambda b: Call("GET", f"/api/v1/users/{b.user()}/tokens", {}),
    "accounts.issue_token": lambda b: Call("POST", f"/api/v1/users/{b.user()}/tokens", {"json": {}}),
    "accounts.revoke_token": lambda b: Call("DELETE", f"/api/v1/tokens/{b.token_id()}", {}),
}


@pytest.fixture
def matrix_app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings, publisher=RecordingPublisher())
    yield app
    app.extensions["mailbanner"].engine.dispose()


@pytest.fixture
def role_clients(matrix_app: Flask) -> dict[str, FlaskClient]:
    clients = {}
    for role in ROLES:
        create_user(matrix_app, f"only-{role}", [role])
        clients[role] = client_with_token(matrix_app, issue_token(matrix_app, f"only-{role}"))
    return clients


def _send(client: FlaskClient, call: Call) -> Any:
    return client.open(call.path, method=call.method, **call.kwargs)


def test_every_endpoint_is_public_or_has_a_rule_and_a_matrix_row(matrix_app: Flask) -> None:
    endpoints = {rule.endpoint for rule in matrix_app.url_map.iter_rules()}
    guarded = endpoints - PUBLIC_ENDPOINTS
    assert guarded == set(ENDPOINT_RULES)
    assert guarded == set(EXPECTED) == set(CALLS)


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_each_role_is_allowed_or_refused_with_403(
    matrix_app: Flask, role_clients: dict[str, FlaskClient], endpoint: str
) -> None:
    bench = Bench(matrix_app)
    outcomes = {}
    for role, client in role_clients.items():
        response = _send(client, CALLS[endpoint](bench))
        outcomes[role] = response.status_code
        if role not in EXPECTED[endpoint]:
            assert response.json["code"] == 403
    allowed = {role: status for role, status in outcomes.items() if role in EXPECTED[endpoint]}
    assert all(200 <= status < 300 for status in allowed.values()), outcomes
    assert all(status == 403 for role, status in outcomes.items() if role not in EXPECTED[endpoint]), outcomes


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_missing_invalid_expired_or_revoked_tokens_get_401(matrix_app: Flask, endpoint: str) -> None:
    bench = Bench(matrix_app)
    create_user(matrix_app, "holder", list(ROLES))
    expired, revoked = issue_token(matrix_app, "holder"), issue_token(matrix_app, "holder")
    with matrix_app.extensions["mailbanner"].session_factory() as session:
        ids = session.scalars(select(ApiToken.id).order_by(ApiToken.id.desc()).limit(2)).all()
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == min(ids))
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        session.commit()
    assert bench.setup.delete(f"/api/v1/tokens/{max(ids)}").status_code == 200
    well_formed_unknown = "mbt_0123456789ab_" + "A" * 43
    tampered = revoked[:-4] + ("AAAA" if not revoked.endswith("AAAA") else "BBBB")
    headers: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {well_formed_unknown}"},
        {"Authorization": f"Bearer {tampered}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": "Bearer aaa.bbb.ccc"},
    ]
    for header in headers:
        call = CALLS[endpoint](bench)
        response = matrix_app.test_client().open(
            call.path,
            method=call.method,
            **{**call.kwargs, "headers": {**call.kwargs.get("headers", {}), **header}},
        )
        assert response.status_code == 401, (header, response.json)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json["code"] == 401


def test_refused_requests_write_nothing(matrix_app: Flask, role_clients: dict[str, FlaskClient]) -> None:
    banner = insert_banner(matrix_app)
    body = {"banner_id": banner, "start_date": DAY.isoformat()}
    assert role_clients["viewer"].post("/api/v1/schedule", json=body).status_code == 403
    assert matrix_app.test_client().post("/api/v1/schedule", json=body).status_code == 401
    with matrix_app.extensions["mailbanner"].session_factory() as session:
        assert session.scalars(select(ScheduleEntry)).all() == []
        # Only the setup (a user and a token per role) was audited; the refused requests left nothing.
        assert sorted(e.action for e in session.scalars(select(AuditEvent))) == sorted(
            ["user.create", "token.issue"] * len(ROLES)
        )


def test_public_endpoints_need_no_token(matrix_app: Flask) -> None:
    anonymous = matrix_app.test_client()
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/api/v1/openapi.json").status_code == 200
    assert anonymous.get("/api/v1/docs").status_code == 200
    uploaded = authorized_client(matrix_app).post("/api/v1/banners", **_upload())
    image_path = uploaded.json["image_url"].removeprefix("http://banners.test")
    response = anonymous.get(image_path)
    assert response.status_code == 200
    assert response.mimetype == "image/png"


def test_openapi_document_declares_bearer_authentication(matrix_app: Flask) -> None:
    spec = matrix_app.test_client().get("/api/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]


def test_token_use_is_recorded_and_a_disabled_user_is_refused(matrix_app: Flask) -> None:
    create_user(matrix_app, "temp", ["viewer"])
    client = client_with_token(matrix_app, issue_token(matrix_app, "temp"))
    assert client.get("/api/v1/me").json["name"] == "temp"
    with matrix_app.extensions["mailbanner"].session_factory() as session:
        assert session.scalars(select(ApiToken.last_used_at).order_by(ApiToken.id.desc())).first() is not None
    admin = authorized_client(matrix_app)
    assert admin.patch("/api/v1/users/temp", json={"disabled": True}).status_code == 200
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert "disabled" in refused.json["message"]


def test_issued_token_is_shown_once_and_stored_only_as_a_hash(matrix_app: Flask) -> None:
    admin = authorized_client(matrix_app)
    assert admin.post("/api/v1/users", json={"name": "robot", "roles": ["operator"]}).status_code == 201
    issued = admin.post("/api/v1/users/robot/tokens", json={"expires_in_days": 7, "label": "ci"})
    assert issued.status_code == 201
    secret = issued.json["token"]
    assert client_with_token(matrix_app, secret).get("/api/v1/me").json["roles"] == ["operator"]
    listed = admin.get("/api/v1/users/robot/tokens").json["items"]
    assert [t["prefix"] for t in listed] == [issued.json["prefix"]]
    assert "token" not in listed[0]
    with matrix_app.extensions["mailbanner"].session_factory() as session:
        stored = session.scalars(select(ApiToken).where(ApiToken.prefix == issued.json["prefix"])).one()
        audit = json.dumps([(e.before, e.after) for e in session.scalars(select(AuditEvent))])
    assert secret not in (stored.token_hash, stored.prefix)
    assert secret not in audit
    assert stored.expires_at - stored.created_at == dt.timedelta(days=7)


def test_bad_user_and_token_requests_name_the_field(matrix_app: Flask) -> None:
    admin = authorized_client(matrix_app)
    assert admin.post("/api/v1/users", json={"name": "x", "roles": ["wizard"]}).json["errors"]["json"][
        "roles"
    ]
    bad_type = admin.post(
        "/api/v1/users", json={"name": "x", "roles": ["viewer"], "campaign_types": ["nope"]}
    )
    assert bad_type.status_code == 422
    assert "campaign_types" in bad_type.json["errors"]["json"]
    bad_name = admin.post("/api/v1/users", json={"name": "no spaces", "roles": ["viewer"]})
    assert "name" in bad_name.json["errors"]["json"]
    assert admin.post("/api/v1/users", json={"name": "x", "roles": ["viewer"]}).status_code == 201
    assert admin.post("/api/v1/users", json={"name": "x", "roles": ["viewer"]}).status_code == 409
    too_long = admin.post("/api/v1/users/x/tokens", json={"expires_in_days": 100000})
    assert too_long.status_code == 422
    assert "expires_in_days" in too_long.json["errors"]["json"]
    assert admin.delete("/api/v1/tokens/99999").status_code == 404
    assert admin.get("/api/v1/users/nobody").status_code == 404


def test_failed_authentications_are_rate_limited_per_client(settings: Settings) -> None:
    app = create_app(replace(settings, rate_limit_failed_auth="3/minute"))
    anonymous = app.test_client()
    statuses = [anonymous.get("/api/v1/me").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert anonymous.get("/healthz").status_code == 200
    app.extensions["mailbanner"].engine.dispose()


def test_writes_are_rate_limited_per_user_and_reads_are_not(settings: Settings) -> None:
    app = create_app(replace(settings, rate_limit_writes="2/minute"))
    create_user(app, "busy", ["operator"])
    create_user(app, "other", ["operator"])
    busy = client_with_token(app, issue_token(app, "busy"))
    other = client_with_token(app, issue_token(app, "other"))
    responses = [busy.post("/api/v1/sync/targets/mass/pause") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert 1 <= int(responses[2].headers["Retry-After"]) <= 60
    assert responses[2].json["code"] == 429
    assert busy.get("/api/v1/sync/status").status_code == 200
    assert other.post("/api/v1/sync/targets/mass/pause").status_code == 200
    app.extensions["mailbanner"].engine.dispose()


def test_cors_answers_only_configured_origins(settings: Settings) -> None:
    app = create_app(replace(settings, cors_origins=("https://planner.example.com",)))
    anonymous = app.test_client()
    preflight = anonymous.options(
        "/api/v1/banners",
        headers={
            "Origin": "https://planner.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://planner.example.com"
    stranger = anonymous.options(
        "/api/v1/banners",
        headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in stranger.headers
    app.extensions["mailbanner"].engine.dispose()


def test_cors_is_off_without_configured_origins(matrix_app: Flask) -> None:
    response = matrix_app.test_client().get("/healthz", headers={"Origin": "https://planner.example.com"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_json_bodies_over_the_limit_are_refused_before_anything_is_read(settings: Settings) -> None:
    app = create_app(replace(settings, json_max_bytes=200))
    client = authorized_client(app)
    response = client.post("/api/v1/users", json={"name": "x" * 300, "roles": ["viewer"]})
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert client.get("/api/v1/users/xxx").status_code == 404
    app.extensions["mailbanner"].engine.dispose()


class _JwksServer:
    """Serves a JWKS document on 127.0.0.1, as an OIDC provider publishes its keys."""

    def __init__(self, keys: dict[str, Any]) -> None:
        body = json.dumps(keys).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_oidc_access_tokens_are_verified_against_the_published_keys_and_mapped_to_roles(
    settings: Settings,
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    stranger_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    issuer, audience = "https://id.example.com", "mailbanner"
    now = int(dt.datetime.now(dt.UTC).timestamp())

    def token(signing: RSAKey = key, **claims: Any) -> str:
        base = {
            "iss": issuer,
            "aud": audience,
            "sub": "u-1",
            "preferred_username": "hana",
            "groups": ["mb-planners"],
            "exp": now + 300,
        }
        return jwt.encode({"alg": "RS256", "kid": "k1"}, {**base, **claims}, signing)

    with _JwksServer(KeySet([key]).as_dict(private=False)) as provider:
        app = create_app(
            replace(
                settings,
                oidc_issuer=issuer,
                oidc_audience=audience,
                oidc_jwks_url=provider.url,
                oidc_role_claim="groups",
                oidc_role_map=("mb-planners=planner",),
            )
        )
        me = client_with_token(app, token()).get("/api/v1/me")
        assert me.status_code == 200
        assert (me.json["name"], me.json["roles"], me.json["via"]) == ("oidc:hana", ["planner"], "oidc")
        banner = insert_banner(app)
        placed = client_with_token(app, token()).post(
            "/api/v1/schedule", json={"banner_id": banner, "start_date": DAY.isoformat()}
        )
        assert placed.status_code == 201
        with app.extensions["mailbanner"].session_factory() as session:
            actors = {
                e.actor
                for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "schedule.place"))
            }
        assert actors == {"oidc:hana"}
        viewer_only = client_with_token(app, token(groups=["somebody-else"]))
        assert viewer_only.post("/api/v1/sync/targets/mass/pause").status_code == 403
        for bad in (
            token(exp=now - 10),
            token(aud="another-app"),
            token(iss="https://evil.example.com"),
            token(signing=stranger_key),
        ):
            assert client_with_token(app, bad).get("/api/v1/me").status_code == 401
        app.extensions["mailbanner"].engine.dispose()


def test_a_token_revoked_through_the_api_is_refused_at_once_though_it_was_just_used(
    matrix_app: Flask,
) -> None:
    create_user(matrix_app, "holder", ["viewer"])
    holder = client_with_token(matrix_app, issue_token(matrix_app, "holder"))
    assert holder.get("/api/v1/me").status_code == 200  # now in the process's cache of checked tokens
    admin = authorized_client(matrix_app)
    [token] = admin.get("/api/v1/users/holder/tokens").json["items"]

    assert admin.delete(f"/api/v1/tokens/{token['id']}").status_code == 200

    refused = holder.get("/api/v1/me")
    assert refused.status_code == 401
    assert "revoked" in refused.json["message"]
