"""Input fields shared by the resources: ids that fit the database's integer columns."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

ID_MAX = 2_147_483_647  # the id columns are 32-bit INTEGER on every backend


class RowId(fields.Integer):
    """An id as a client sends it: a whole number the id columns can hold (else 422 naming the field)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict", True)
        kwargs.setdefault("validate", validate.Range(min=1, max=ID_MAX, error="not a valid id"))
        super().__init__(**kwargs)


class RowIdConverter(IntegerConverter):
    """`<int:...>` in a route matches only ids the columns can hold; a larger one is simply not found."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)
