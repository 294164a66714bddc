"""SQLite (a stand-in target for tests): BEGIN IMMEDIATE takes the database's write lock up front."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.dialects.sqlite import DATETIME
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import TypeEngine

from sync_worker.dialects.base import BaseDialect

# SQLite compares datetimes as text, so the stored format must match what legacy rows hold:
# whole seconds, as SQLite's own datetime() writes them.
_SECONDS_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
# SQLite rewrites views, triggers and foreign keys naming a renamed table, so they would follow the backup.
_SQLITE_DEPENDENTS = """\
SELECT type, name FROM sqlite_master
WHERE type IN ('view', 'trigger') AND lower(sql) LIKE '%' || lower(:table) || '%'
UNION SELECT 'foreign key', 'of ' || m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
WHERE m.type = 'table' AND lower(f."table") = lower(:table)"""
_BUSY = 5
_LOCKED = 6


class SQLiteDialect(BaseDialect):
    """BEGIN IMMEDIATE: a second writer waits (busy timeout) until COMMIT or ROLLBACK.

    pysqlite would otherwise open a deferred transaction, so the driver's own transaction handling is
    switched off (AUTOCOMMIT) and BEGIN/COMMIT/ROLLBACK are issued explicitly.
    """

    name = "sqlite"

    def datetime_type(self) -> TypeEngine[Any]:
        return DATETIME(storage_format=_SECONDS_FORMAT)  # type: ignore[no-untyped-call]

    def lock_statements(self, table: Table, sa_dialect: SADialect, timeout_seconds: int) -> list[Executable]:
        return [text(f"PRAGMA busy_timeout = {int(timeout_seconds) * 1000}"), text("BEGIN IMMEDIATE")]

    @contextmanager
    def locked_transaction(self, engine: Engine, table: Table, timeout_seconds: int) -> Iterator[Connection]:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for statement in self.lock_statements(table, conn.dialect, timeout_seconds):
                conn.execute(statement)
            try:
                yield conn
            except BaseException:
                # Some errors (disk full, I/O) already ended the transaction inside SQLite.
                if (
                    conn.connection.dbapi_connection is not None
                    and conn.connection.dbapi_connection.in_transaction
                ):
                    conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")

    def is_retryable(self, exc: BaseException) -> bool:
        code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in {_BUSY, _LOCKED}:
            return True
        return super().is_retryable(exc)

    def dependents_statements(self, table: Table, sa_dialect: SADialect) -> list[Executable]:
        return [text(_SQLITE_DEPENDENTS).bindparams(table=table.name)]
