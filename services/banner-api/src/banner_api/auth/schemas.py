"""Marshmallow schemas of the user, token and "who am I" endpoints."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from banner_api.auth.roles import ROLES, VIEWS


def _list(description: str, choices: tuple[str, ...] | None = None) -> fields.List[Any]:
    inner = fields.String(validate=validate.OneOf(choices)) if choices else fields.String()
    return fields.List(inner, metadata={"description": description})


class UserCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    roles = fields.List(
        fields.String(validate=validate.OneOf(ROLES)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": f"Some of: {', '.join(ROLES)}"},
    )
    campaign_types = _list("Only these campaign types (empty: all).")
    views = _list(f"Only these views (empty: all): {', '.join(VIEWS)}", VIEWS)


class UserUpdateSchema(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), validate=validate.Length(min=1))
    campaign_types = _list("Only these campaign types (empty: all).")
    views = _list("Only these views (empty: all).", VIEWS)
    disabled = fields.Boolean(metadata={"description": "A disabled user's tokens stop working."})


class UserSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    roles = fields.List(fields.String(), attribute="role_list")
    campaign_types = fields.List(fields.String(), attribute="campaign_type_list")
    views = fields.List(fields.String(), attribute="view_list")
    disabled = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))


class TokenRequestSchema(Schema):
    expires_in_days = fields.Integer(
        strict=True, metadata={"description": "Lifetime in days (default: the configured default)."}
    )
    label = fields.String(load_default="", validate=validate.Length(max=100))


class TokenSchema(Schema):
    """A token without its secret."""

    id = fields.Integer()
    user = fields.Function(lambda token: token.user.name)
    prefix = fields.String(metadata={"description": "The public start of the token, to recognise it."})
    label = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class IssuedTokenSchema(Schema):
    """A token just issued (an accounts.IssuedToken): the only time its secret is shown."""

    id = fields.Integer(attribute="token.id")
    user = fields.Function(lambda issued: issued.token.user.name)
    prefix = fields.String(attribute="token.prefix")
    label = fields.String(attribute="token.label")
    created_at = fields.DateTime(attribute="token.created_at")
    expires_at = fields.DateTime(attribute="token.expires_at")
    token = fields.String(attribute="secret", metadata={"description": "The bearer token; store it now."})


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema))


class MeSchema(Schema):
    name = fields.String()
    roles = fields.List(fields.String())
    permissions = fields.List(fields.String())
    campaign_types = fields.List(fields.String(), allow_none=True)
    views = fields.List(fields.String(), allow_none=True)
    via = fields.String()
