"""Refuses text no banner database can store (NUL characters) before any view runs, naming the field."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from banner_api.errors import ValidationFailed

NUL = "\x00"


def _nul_fields(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        found = [path or "body"] if any(NUL in str(key) for key in value) else []
        for key, item in value.items():
            found += _nul_fields(item, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(value, list):
        return [field for index, item in enumerate(value) for field in _nul_fields(item, f"{path}.{index}")]
    return []


def install_input_guard(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_characters() -> None:
        where: dict[str, list[str]] = {}
        for location, values in (("query", request.args), ("form", request.form)):
            names = sorted({name for name, value in values.items(multi=True) if NUL in name or NUL in value})
            if names:
                where[location] = names
        if request.is_json:
            body = request.get_json(silent=True)
            if names := _nul_fields(body, ""):
                where["json"] = names
        if where:
            fields = {
                location: {name: ["contains a NUL character, which cannot be stored"] for name in names}
                for location, names in where.items()
            }
            first_location = next(iter(fields))
            raise ValidationFailed(
                "invalid "
                + ", ".join(name for names in where.values() for name in names)
                + ": NUL characters cannot be stored",
                fields[first_location],
                first_location,
            )
