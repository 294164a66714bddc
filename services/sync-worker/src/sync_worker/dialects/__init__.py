"""Per-database details of the swap (lock, insert options, error codes), chosen by the URL's backend."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import TypeEngine

from sync_worker.dialects.base import BaseDialect, LockNotGranted
from sync_worker.dialects.db2 import Db2Dialect
from sync_worker.dialects.mssql import MSSQLDialect
from sync_worker.dialects.mysql import MySQLDialect
from sync_worker.dialects.postgresql import PostgresDialect
from sync_worker.dialects.sqlite import SQLiteDialect

__all__ = ["BaseDialect", "Dialect", "LockNotGranted", "UnsupportedTarget", "dialect_for"]


class UnsupportedTarget(ValueError):
    """The target URL names a database the worker has no dialect for."""


class Dialect(Protocol):
    """What the swap needs to know about one kind of delivery database."""

    name: str

    def engine_options(self, url: URL) -> dict[str, Any]: ...

    def identifier(self, name: str) -> str: ...

    def datetime_type(self) -> TypeEngine[Any]: ...

    def lock_statements(
        self, table: Table, sa_dialect: SADialect, timeout_seconds: int
    ) -> list[Executable]: ...

    def locked_transaction(
        self, engine: Engine, table: Table, timeout_seconds: int
    ) -> AbstractContextManager[Connection]: ...

    def is_retryable(self, exc: BaseException) -> bool: ...

    def same_identifier(self, configured: str, reflected: str, sa_dialect: SADialect) -> bool: ...

    def rename_statements(
        self, renames: Sequence[tuple[Table, str]], sa_dialect: SADialect
    ) -> list[Executable]: ...

    def dependents_statements(self, table: Table, sa_dialect: SADialect) -> list[Executable]: ...

    def dependent_objects(self, conn: Connection, table: Table) -> list[str]: ...


_BY_BACKEND: dict[str, Dialect] = {
    "postgresql": PostgresDialect(),
    "mysql": MySQLDialect(),
    "mariadb": MySQLDialect(),
    "mssql": MSSQLDialect(),
    "db2": Db2Dialect(),
    "ibm_db_sa": Db2Dialect(),
    "sqlite": SQLiteDialect(),
}


def dialect_for(url: str | URL) -> Dialect:
    """The dialect of a target URL's backend (the driver part does not matter)."""
    backend = make_url(url).get_backend_name()
    try:
        return _BY_BACKEND[backend]
    except KeyError:
        raise UnsupportedTarget(f"no sync dialect for database {backend!r}") from None
