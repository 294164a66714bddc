"""Reflect a target's legacy table and compare it with what the worker will write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, inspect
from sqlalchemy import types as sqltypes
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.exc import NoSuchTableError

from banner_common.targets import TargetSpec
from sync_worker.dialects import dialect_for

URL_MIN_LENGTH = 2048  # the API accepts link URLs up to this length by default


def _is_string(t: Any) -> bool:
    return isinstance(t, sqltypes.String)


def _is_integer(t: Any) -> bool:
    return isinstance(t, sqltypes.Integer) or (
        isinstance(t, sqltypes.Numeric) and not isinstance(t, sqltypes.Float) and t.scale == 0
    )


def _is_datetime(t: Any) -> bool:
    return isinstance(t, sqltypes.DateTime)


def _is_number(t: Any) -> bool:
    return isinstance(t, sqltypes.Integer | sqltypes.Numeric)


def _is_boolean(t: Any) -> bool:
    return isinstance(t, sqltypes.Boolean) or _is_integer(t)


def _is_date(t: Any) -> bool:
    return isinstance(t, sqltypes.Date | sqltypes.DateTime)


def _kind_of_constant(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return "boolean", _is_boolean
    if isinstance(value, int):
        return "integer", _is_integer
    if isinstance(value, float):
        return "number", _is_number
    if isinstance(value, dt.datetime):
        return "datetime", _is_datetime
    if isinstance(value, dt.date):
        return "date", _is_date
    return "string", _is_string


@dataclass(frozen=True)
class Expected:
    """A column the worker writes: where it comes from and what type it needs."""

    name: str
    role: str
    kind: str
    accepts: Any
    value: Any = None


@dataclass
class CheckReport:
    """Problems make the swap fail or write wrong data; warnings are worth a look."""

    target: str
    table: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def expected_columns(spec: TargetSpec) -> list[Expected]:
    names = spec.columns
    expected = [
        Expected(names.image_url, "image_url", "string", _is_string),
        Expected(names.link_url, "link_url", "string", _is_string),
        Expected(names.priority, "priority", "integer", _is_integer),
        Expected(names.start_at, "start_at", "datetime", _is_datetime),
        Expected(names.end_at, "end_at", "datetime", _is_datetime),
    ]
    for name, value in spec.constants.items():
        kind, accepts = _kind_of_constant(value)
        expected.append(Expected(name, "constant", kind, accepts, value))
    expected.extend(Expected(name, "now column", "datetime", _is_datetime) for name in spec.now_columns)
    return expected


def _fills_itself(column: ReflectedColumn) -> bool:
    """A column the database fills when the INSERT leaves it out: default, identity, computed."""
    return (
        column.get("default") is not None
        or column.get("autoincrement") is True
        or bool(column.get("identity"))
        or bool(column.get("computed"))
    )


def check_target(spec: TargetSpec, engine: Engine) -> CheckReport:
    """Connect, reflect the table and report every difference from the spec."""
    dialect = dialect_for(engine.url)
    shown = f"{spec.schema}.{spec.table}" if spec.schema else spec.table
    report = CheckReport(spec.name, shown)
    try:
        reflected = inspect(engine).get_columns(
            dialect.identifier(spec.table), schema=dialect.identifier(spec.schema) if spec.schema else None
        )
    except NoSuchTableError:
        report.problems.append(f"table {shown} not found")
        return report
    if not reflected:
        report.problems.append(f"table {shown} not found")
        return report
    written: set[str] = set()
    for want in expected_columns(spec):
        match = next(
            (c for c in reflected if dialect.same_identifier(want.name, c["name"], engine.dialect)), None
        )
        if match is None:
            report.problems.append(f"missing column {want.name} ({want.role})")
            continue
        written.add(match["name"])
        column_type = match["type"]
        if not want.accepts(column_type):
            report.problems.append(
                f"column {want.name} ({want.role}) is {column_type!r}; the worker writes {want.kind} values"
            )
            continue
        length = getattr(column_type, "length", None)
        if want.role in {"image_url", "link_url"} and length is not None and length < URL_MIN_LENGTH:
            report.warnings.append(
                f"column {want.name} holds {length} characters; a longer URL would fail the swap"
            )
        too_long = isinstance(want.value, str) and length is not None and len(want.value) > length
        if want.role == "constant" and too_long:
            report.problems.append(f"constant for {want.name} is longer than the column ({length})")
    for column in reflected:
        if column["name"] in written or column.get("nullable", True) or _fills_itself(column):
            continue
        report.problems.append(
            f"column {column['name']} is NOT NULL without a default, and the spec gives it no value"
            " (add it to constants or now_columns)"
        )
    return report
