"""Cut-over tables: prepare `<table>_new` as an exact copy of the live schema, swap it in, swap back."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select
from sqlalchemy.engine.interfaces import ReflectedColumn
from sqlalchemy.sql.elements import quoted_name

from banner_common.targets import TargetSpec
from sync_worker.dialects import Dialect, dialect_for
from sync_worker.target_table import TargetTable

STAMP_FORMAT = "%Y%m%d%H%M%S"
_STAMP_DIGITS = 14
_MAX_NAME_TRIES = 60
# The suffix given to copied index and constraint names (unique per schema on PostgreSQL, SQLite, Db2);
# an earlier suffix is replaced, so names do not grow with each rehearsal.
_COPY_SUFFIX = re.compile(r"_n\d{14}$", re.IGNORECASE)
_NEXTVAL = re.compile(r"nextval\('[^']*'(::regclass)?\)", re.IGNORECASE)


class CutoverRefused(RuntimeError):
    """A cut-over step would break something or cannot be done safely; nothing was changed."""


@dataclass(frozen=True)
class CutoverTables:
    """The names of one target's cut-over tables, spelled as its database folds them."""

    dialect: Dialect
    live: Table  # named exactly as the swap names it, so the swap lock is the same lock
    max_length: int

    @classmethod
    def of(cls, spec: TargetSpec, engine: Engine) -> CutoverTables:
        dialect = dialect_for(engine.url)
        live = TargetTable.for_spec(spec, ZoneInfo("UTC"), dialect).table
        return cls(dialect, live, engine.dialect.max_identifier_length or 128)

    @property
    def schema(self) -> str | None:
        return self.live.schema

    def _suffixed(self, suffix: str) -> str:
        # An upper-case legacy name gets an upper-case suffix: Db2 would otherwise need a quoted mixed case.
        name = self.live.name + (suffix.upper() if self.live.name.isupper() else suffix)
        if len(name) > self.max_length:
            raise CutoverRefused(f"{name} is longer than the database allows ({self.max_length} characters)")
        return name

    @property
    def new(self) -> str:
        return self._suffixed("_new")

    def backup(self, moment: dt.datetime) -> str:
        return self._suffixed(f"_bak_{moment.astimezone(dt.UTC):{STAMP_FORMAT}}")

    def backup_pattern(self) -> re.Pattern[str]:
        return re.compile(rf"^{re.escape(self.live.name)}_bak_(\d{{{_STAMP_DIGITS}}})$", re.IGNORECASE)

    def shown(self, name: str) -> str:
        return f"{self.schema}.{name}" if self.schema else name

    def table(self, name: str) -> Table:
        return Table(name, MetaData(), schema=self.schema)


@dataclass(frozen=True)
class PrepareReport:
    table: str
    created: bool
    differences: list[str]
    dependents: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class BackupInfo:
    name: str
    taken_at: dt.datetime
    rows: int


def _exists(engine: Engine, tables: CutoverTables, name: str) -> bool:
    return inspect(engine).has_table(name, schema=tables.schema)


def _row_count(conn: Connection, tables: CutoverTables, name: str) -> int:
    return int(conn.execute(select(func.count()).select_from(tables.table(name))).scalar_one())


def _copy_name(name: str, stamp: str, max_length: int) -> str:
    base = _COPY_SUFFIX.sub("", name)
    return f"{base[: max_length - len(stamp) - 2]}_n{stamp}"


def _copy_of_live(engine: Engine, tables: CutoverTables, stamp: str) -> Table:
    """The live table's reflected definition under the new name, with fresh index and constraint names."""
    live = Table(tables.live.name, MetaData(), schema=tables.schema, autoload_with=engine)
    copy = live.to_metadata(MetaData(), name=tables.new)
    for column in copy.columns:
        default = getattr(column.server_default, "arg", None)
        if default is not None and _NEXTVAL.search(str(default)):
            # A serial column: the copy gets its own sequence instead of sharing the live table's, which
            # would be dropped with the backup.
            column.server_default = None
    for index in copy.indexes:
        if isinstance(index.name, str):
            index.name = quoted_name(_copy_name(index.name, stamp, tables.max_length), None)
    for constraint in copy.constraints:
        if isinstance(constraint.name, str):
            constraint.name = _copy_name(constraint.name, stamp, tables.max_length)
    return copy


def _column_shape(column: ReflectedColumn, engine: Engine) -> dict[str, Any]:
    default = column.get("default")
    return {
        "type": column["type"].compile(dialect=engine.dialect),
        "nullable": column.get("nullable", True),
        "default": _NEXTVAL.sub("nextval(<sequence>)", str(default)) if default is not None else None,
        "autoincrement": column.get("autoincrement"),
        "identity": bool(column.get("identity")),
    }


def _shape(engine: Engine, schema: str | None, name: str) -> dict[str, Any]:
    """What must be equal between the live table and its copy; names of indexes and constraints aside."""
    inspector = inspect(engine)
    columns = inspector.get_columns(name, schema=schema)
    return {
        "columns": [(c["name"], _column_shape(c, engine)) for c in columns],
        "primary key": inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or [],
        "indexes": sorted(
            (tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(name, schema=schema)
        ),
        "unique constraints": sorted(
            tuple(u["column_names"]) for u in inspector.get_unique_constraints(name, schema=schema)
        ),
        "check constraints": sorted(
            str(c["sqltext"]) for c in _optional(inspector.get_check_constraints, name, schema)
        ),
        "table options": _optional(
            lambda n, schema: inspector.get_table_options(n, schema=schema).items(), name, schema
        ),
        "foreign keys": sorted(
            (str(f["referred_schema"]), f["referred_table"], tuple(f["constrained_columns"]))
            for f in inspector.get_foreign_keys(name, schema=schema)
        ),
    }


def _optional(reflect: Any, name: str, schema: str | None) -> list[Any]:
    try:
        return list(reflect(name, schema=schema))
    except NotImplementedError:  # a dialect that cannot reflect this kind of constraint
        return []


def schema_differences(engine: Engine, tables: CutoverTables, name: str) -> list[str]:
    """Every way table `name` differs from the live table, column by column; empty when identical."""
    live, other = _shape(engine, tables.schema, tables.live.name), _shape(engine, tables.schema, name)
    differences: list[str] = []
    live_columns, other_columns = dict(live.pop("columns")), dict(other.pop("columns"))
    if list(live_columns) != list(other_columns):
        differences.append(f"columns: live {list(live_columns)}, {name} {list(other_columns)}")
    for column, want in live_columns.items():
        have = other_columns.get(column)
        if have is None:
            continue
        differences.extend(
            f"column {column}: {key} is {want[key]!r} in the live table, {have[key]!r} in {name}"
            for key in want
            if want[key] != have[key]
        )
    differences.extend(
        f"{key}: {live[key]!r} in the live table, {other[key]!r} in {name}"
        for key in live
        if live[key] != other[key]
    )
    return differences


def dependents(engine: Engine, tables: CutoverTables) -> list[str]:
    with engine.connect() as conn:
        return tables.dialect.dependent_objects(conn, tables.live)


def prepare(spec: TargetSpec, engine: Engine, now: dt.datetime) -> PrepareReport:
    """Create `<table>_new` with the live table's schema (unless it exists) and compare the two."""
    tables = CutoverTables.of(spec, engine)
    if not _exists(engine, tables, tables.live.name):
        raise CutoverRefused(f"live table {tables.shown(tables.live.name)} not found")
    created = False
    if not _exists(engine, tables, tables.new):
        _copy_of_live(engine, tables, f"{now.astimezone(dt.UTC):{STAMP_FORMAT}}").create(engine)
        created = True
    differences = schema_differences(engine, tables, tables.new)
    with engine.connect() as conn:
        rows = _row_count(conn, tables, tables.new)
    if rows:
        differences.append(f"{tables.new} holds {rows} rows; the prepared table must be empty")
    return PrepareReport(tables.shown(tables.new), created, differences, dependents(engine, tables))


def _refuse_dependents(engine: Engine, tables: CutoverTables) -> None:
    found = dependents(engine, tables)
    if found:
        raise CutoverRefused(
            f"{tables.shown(tables.live.name)} has dependent objects that a rename would break or carry "
            f"along: {', '.join(found)}. Drop them (and recreate them afterwards) first; nothing was changed."
        )


def _free_backup_name(engine: Engine, tables: CutoverTables, now: dt.datetime) -> str:
    """`<table>_bak_<UTC stamp>`, a second later if taken (a backup and a restore in the same second)."""
    existing = {name.lower() for name in inspect(engine).get_table_names(schema=tables.schema)}
    for seconds in range(_MAX_NAME_TRIES):
        name = tables.backup(now + dt.timedelta(seconds=seconds))
        if name.lower() not in existing:
            return name
    raise CutoverRefused(f"no free backup name near {tables.backup(now)}")


def _rename(engine: Engine, tables: CutoverTables, renames: list[tuple[str, str]], timeout: int) -> None:
    """Run the renames in one transaction, holding the swap lock so no swap runs in between."""
    pairs = [(tables.table(old), new) for old, new in renames]
    with tables.dialect.locked_transaction(engine, tables.live, timeout) as conn:
        for statement in tables.dialect.rename_statements(pairs, conn.dialect):
            conn.execute(statement)


def check_backup(spec: TargetSpec, engine: Engine) -> CutoverTables:
    """Refuse unless `<table>_new` is an empty, identical copy and nothing depends on the live table."""
    tables = CutoverTables.of(spec, engine)
    if not _exists(engine, tables, tables.new):
        raise CutoverRefused(f"{tables.shown(tables.new)} not found: run `mailbanner target prepare` first")
    report = prepare(spec, engine, dt.datetime.now(dt.UTC))  # creates nothing: the copy exists
    if report.differences:
        raise CutoverRefused(
            f"{tables.shown(tables.new)} is not ready: {'; '.join(report.differences)}; nothing was changed"
        )
    _refuse_dependents(engine, tables)
    return tables


def swap_in_new(spec: TargetSpec, engine: Engine, now: dt.datetime) -> str:
    """Rename live -> `<table>_bak_<UTC stamp>` and `<table>_new` -> live, atomically; the backup's name.

    Call check_backup first (and pause the target's sync in between).
    """
    tables = CutoverTables.of(spec, engine)
    backup = _free_backup_name(engine, tables, now)
    _rename(
        engine,
        tables,
        [(tables.live.name, backup), (tables.new, tables.live.name)],
        spec.lock_timeout_seconds,
    )
    return backup


def check_restore(spec: TargetSpec, engine: Engine, backup: str) -> CutoverTables:
    """Refuse unless `backup` is one of the target's backups and nothing depends on the live table."""
    tables = CutoverTables.of(spec, engine)
    known = {b.name for b in list_backups(spec, engine)}
    if backup not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise CutoverRefused(
            f"{backup!r} is not a backup of {tables.shown(tables.live.name)} (backups: {listed})"
        )
    _refuse_dependents(engine, tables)
    return tables


def swap_in_backup(spec: TargetSpec, engine: Engine, backup: str, now: dt.datetime) -> str:
    """Rename live -> a fresh backup name and `backup` -> live, atomically; the name the replaced table got.

    The replaced table is kept as a backup itself, so a restore can be undone like a backup.
    """
    tables = CutoverTables.of(spec, engine)
    replaced = _free_backup_name(engine, tables, now)
    _rename(
        engine, tables, [(tables.live.name, replaced), (backup, tables.live.name)], spec.lock_timeout_seconds
    )
    return replaced


def list_backups(spec: TargetSpec, engine: Engine) -> list[BackupInfo]:
    """The target's `<table>_bak_<stamp>` tables, oldest first, with their row counts."""
    tables = CutoverTables.of(spec, engine)
    pattern = tables.backup_pattern()
    found: list[tuple[dt.datetime, str]] = []
    for name in inspect(engine).get_table_names(schema=tables.schema):
        match = pattern.match(name)
        if match is not None:
            taken = dt.datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=dt.UTC)
            found.append((taken, name))
    with engine.connect() as conn:
        return [BackupInfo(name, taken, _row_count(conn, tables, name)) for taken, name in sorted(found)]
