"""User, token and "who am I" endpoints: thin views over auth.accounts."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint

from banner_api.auth import accounts
from banner_api.auth.current import current_principal
from banner_api.auth.guard import forget_principals
from banner_api.auth.schemas import (
    IssuedTokenSchema,
    MeSchema,
    TokenListSchema,
    TokenRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserListSchema,
    UserSchema,
    UserUpdateSchema,
)
from banner_api.context import services

blp = Blueprint("accounts", __name__, description="Users, their roles and scopes, and API tokens")


@blp.route("/me", methods=["GET"])
@blp.response(HTTPStatus.OK, MeSchema)
def me() -> dict[str, Any]:
    """Who the token belongs to and what it may do"""
    who = current_principal()
    return {
        "name": who.name,
        "roles": sorted(who.roles),
        "permissions": sorted(p.value for p in who.permissions),
        "campaign_types": sorted(who.campaign_types) if who.campaign_types is not None else None,
        "views": sorted(who.views) if who.views is not None else None,
        "via": who.via,
    }


@blp.route("/users", methods=["GET"])
@blp.response(HTTPStatus.OK, UserListSchema)
def list_users() -> dict[str, Any]:
    return {"items": accounts.list_users(services())}


@blp.route("/users", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(HTTPStatus.CREATED, UserSchema)
def create_user(body: dict[str, Any]) -> Any:
    name = body.pop("name")
    return accounts.create_user(services(), name, accounts.UserFields(**body))


@blp.route("/users/<name>", methods=["GET"])
@blp.response(HTTPStatus.OK, UserSchema)
def get_user(name: str) -> Any:
    return accounts.get_user(services(), name)


@blp.route("/users/<name>", methods=["PATCH"])
@blp.arguments(UserUpdateSchema)
@blp.response(HTTPStatus.OK, UserSchema)
def update_user(body: dict[str, Any], name: str) -> Any:
    """Change roles, scopes or disable a user

    Its tokens follow at once in the API process that answered, and in every process within
    MAILBANNER_AUTH_CACHE_SECONDS (5 s by default).
    """
    user = accounts.update_user(services(), name, accounts.UserFields(**body))
    forget_principals()
    return user


@blp.route("/users/<name>/tokens", methods=["GET"])
@blp.response(HTTPStatus.OK, TokenListSchema)
def list_tokens(name: str) -> dict[str, Any]:
    return {"items": accounts.list_tokens(services(), name)}


@blp.route("/users/<name>/tokens", methods=["POST"])
@blp.arguments(TokenRequestSchema, required=False)
@blp.response(HTTPStatus.CREATED, IssuedTokenSchema)
def issue_token(body: dict[str, Any], name: str) -> accounts.IssuedToken:
    """Issue a token for the user; the response is the only time its secret is shown"""
    return accounts.issue_token(services(), name, body.get("expires_in_days"), body.get("label", ""))


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(HTTPStatus.OK, TokenSchema)
def revoke_token(token_id: int) -> Any:
    """Revoke a token

    It stops working at once in the API process that answered, and in every process within
    MAILBANNER_AUTH_CACHE_SECONDS (5 s by default).
    """
    token = accounts.revoke_token(services(), token_id)
    forget_principals()
    return token
