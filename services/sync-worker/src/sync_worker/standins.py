"""Development stand-ins: a legacy-shaped delivery table in SQLite, PostgreSQL or MariaDB for a target."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, inspect

from banner_common.targets import TargetSpec
from sync_worker.dialects import dialect_for
from sync_worker.target_table import TargetTable

STANDIN_BACKENDS = frozenset({"sqlite", "postgresql", "mysql"})


class NotAStandin(ValueError):
    """The target is a real delivery database; stand-in tables are never created there."""


def create_standin_table(spec: TargetSpec, engine: Engine) -> bool:
    """Create the target's table shaped like the legacy one, unless it exists. True when created."""
    if engine.dialect.name not in STANDIN_BACKENDS:
        raise NotAStandin(
            f"target {spec.name} is on {engine.dialect.name}: stand-ins are for development only"
        )
    # Only names and types are used here; the zone matters to row conversion, which this does not do.
    dialect = dialect_for(engine.url)
    shape = TargetTable.for_spec(spec, ZoneInfo("UTC"), dialect).table
    if inspect(engine).has_table(shape.name, schema=shape.schema):
        return False
    columns: list[Column[Any]] = [
        Column(dialect.identifier("ID"), Integer, primary_key=True, autoincrement=True)
    ]
    for column in shape.columns:
        kind = String(1000) if isinstance(column.type, String) else column.type
        columns.append(Column(column.name, kind, nullable=False))
    Table(shape.name, MetaData(), *columns, schema=shape.schema).create(engine)
    return True
