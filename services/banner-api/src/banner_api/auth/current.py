"""The principal of the current request (or of a command run outside one)."""

from __future__ import annotations

from flask import g, has_app_context, has_request_context

from banner_api.auth.roles import SYSTEM, Principal


def current_principal() -> Principal:
    found = g.get("principal") if has_app_context() else None
    if isinstance(found, Principal):
        return found
    if has_request_context():
        # A request reached a service without passing the guard: refuse rather than act as "system".
        raise RuntimeError("no authenticated principal for this request")
    return SYSTEM


def request_id() -> str:
    return str(g.get("request_id", "")) if has_app_context() else ""
