"""What every delivery-database dialect shares: the default locked transaction and error classification."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Connection, DateTime, Engine, MetaData, Table, text
from sqlalchemy.engine import URL
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import TypeEngine

_SQLSTATE = re.compile(r"^[0-9A-Z]{5}$")
_IBM_SQLSTATE = re.compile(r"SQLSTATE=([0-9A-Z]{5})")
_IBM_SQLCODE = re.compile(r"SQLCODE=(-?\d+)")
# pyodbc ends a driver message with the native error in parentheses: "... (1205) (SQLExecDirectW)".
_ODBC_NATIVE = re.compile(r"\((-?\d+)\)\s*\(SQL\w+\)")


class LockNotGranted(RuntimeError):
    """The swap lock was not granted within the target's lock timeout (another swap holds it)."""


@dataclass(frozen=True)
class ErrorCodes:
    """The SQLSTATE and the driver's native error number of a database error, when the driver tells."""

    sqlstate: str | None
    native: int | None


def error_codes(exc: BaseException) -> ErrorCodes:
    """Pull the codes out of whatever shape the DBAPI driver gave its exception."""
    orig: Any = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlstate: str | None = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    native: int | None = getattr(orig, "sqlite_errorcode", None)
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):  # PyMySQL: (errno, message)
        native = args[0]
    elif args and isinstance(args[0], str) and _SQLSTATE.match(args[0]):  # pyodbc: (sqlstate, message)
        sqlstate = args[0]
    text = str(orig)
    if match := _IBM_SQLSTATE.search(text):
        sqlstate = match.group(1)
    if (match := _IBM_SQLCODE.search(text)) or (native is None and (match := _ODBC_NATIVE.search(text))):
        native = int(match.group(1))
    return ErrorCodes(sqlstate, native)


def lock_name(table: Table) -> str:
    """A stable name for the swap lock of one table, short enough for every database's lock API."""
    digest = hashlib.blake2b(table.fullname.encode("utf-8"), digest_size=8).hexdigest()
    return f"mailbanner:{digest}"


def lock_key(table: Table) -> int:
    """A stable signed 64-bit number for the table (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.blake2b(table.fullname.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class BaseDialect:
    """Defaults for a delivery database; each dialect module overrides what differs."""

    name = "generic"
    # SQLSTATEs meaning "try again": serialization failure, deadlock, lock not available.
    retryable_sqlstates: ClassVar[frozenset[str]] = frozenset({"40001", "40P01", "55P03", "HYT00", "HYT01"})
    retryable_native: ClassVar[frozenset[int]] = frozenset()

    def engine_options(self, url: URL) -> dict[str, Any]:
        """Extra create_engine() keyword arguments for this database."""
        return {}

    def identifier(self, name: str) -> str:
        """A targets-file name as SQLAlchemy must see it to mean the unquoted SQL identifier.

        SQLAlchemy quotes names with capitals; where the database does not fold case (SQL Server,
        MySQL, SQLite columns) or folds to upper case (Db2, which SQLAlchemy normalises) that is right.
        """
        return name

    def datetime_type(self) -> TypeEngine[Any]:
        """The column type binding the naive datetimes of a delivery table."""
        return DateTime()

    def lock_statements(self, table: Table, sa_dialect: SADialect, timeout_seconds: int) -> list[Executable]:
        """The statements run first in the swap transaction to exclude a second writer."""
        raise NotImplementedError

    @contextmanager
    def locked_transaction(self, engine: Engine, table: Table, timeout_seconds: int) -> Iterator[Connection]:
        """One transaction holding the swap lock; it commits on success and rolls back on any error."""
        with engine.begin() as conn:
            for statement in self.lock_statements(table, conn.dialect, timeout_seconds):
                conn.execute(statement)
            yield conn

    def is_retryable(self, exc: BaseException) -> bool:
        """True when running again later may succeed: lost connection, deadlock, lock wait timeout."""
        if isinstance(exc, LockNotGranted | PoolTimeoutError):
            return True
        if not isinstance(exc, DBAPIError):
            return False
        if exc.connection_invalidated:
            return True
        codes = error_codes(exc)
        if codes.sqlstate is not None and (
            codes.sqlstate.startswith("08") or codes.sqlstate in self.retryable_sqlstates
        ):
            return True
        if codes.native is not None and codes.native in self.retryable_native:
            return True
        # An OperationalError without any code comes from the client side: refused or dropped connection.
        return isinstance(exc, OperationalError) and codes.sqlstate is None and codes.native is None

    def same_identifier(self, configured: str, reflected: str, sa_dialect: SADialect) -> bool:
        """Whether a configured column name addresses a reflected column (case-insensitive by default)."""
        return configured.lower() == reflected.lower()

    def rename_statements(
        self, renames: Sequence[tuple[Table, str]], sa_dialect: SADialect
    ) -> list[Executable]:
        """Statements renaming each table (to a new name in its own schema), in order, in one transaction."""
        prepare = sa_dialect.identifier_preparer
        return [
            text(f"ALTER TABLE {prepare.format_table(table)} RENAME TO {prepare.quote(new_name)}")
            for table, new_name in renames
        ]

    def dependents_statements(self, table: Table, sa_dialect: SADialect) -> list[Executable]:
        """Catalog queries returning (kind, name) of each object that a rename of `table` would break:
        views and routines reading it, foreign keys referencing it, triggers on it."""
        raise NotImplementedError(f"no dependent-object check for {self.name}")

    def dependent_objects(self, conn: Connection, table: Table) -> list[str]:
        """ "kind name" of every object depending on the table (empty: a rename is safe)."""
        found: set[str] = set()
        for statement in self.dependents_statements(table, conn.dialect):
            found.update(f"{kind} {name}" for kind, name in conn.execute(statement))
        return sorted(found)


def sibling(table: Table, name: str) -> Table:
    """A table called `name` in the same schema, for naming it in SQL (no columns)."""
    return Table(name, MetaData(), schema=table.schema)
