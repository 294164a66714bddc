"""MariaDB and MySQL: a named lock (GET_LOCK) taken in the swap transaction and released right after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from sqlalchemy import Connection, Engine, Table, func, select
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable

from sync_worker.dialects.base import BaseDialect, LockNotGranted, lock_name


class MySQLDialect(BaseDialect):
    """GET_LOCK(name, timeout): a second swap of the same table waits for it, whatever the table looks like.

    `SELECT ... FOR UPDATE` on the window was rejected: with an empty window under READ COMMITTED it
    locks nothing, so two writers could both insert. A named lock is not tied to the transaction, so
    locked_transaction releases it immediately after COMMIT or ROLLBACK on the same session, and the
    server releases it if that session dies. Only Mailbanner takes it, so legacy readers never wait.
    """

    name = "mysql"
    # 1205 lock wait timeout, 1213 deadlock, 1040 too many connections,
    # 2002/2003/2006/2013/2055 connection refused or lost, 1927 connection killed (MariaDB).
    retryable_native: ClassVar[frozenset[int]] = frozenset(
        {1205, 1213, 1040, 2002, 2003, 2006, 2013, 2055, 1927}
    )

    def lock_statements(self, table: Table, sa_dialect: SADialect, timeout_seconds: int) -> list[Executable]:
        return [select(func.get_lock(lock_name(table), int(timeout_seconds)))]

    def release_statement(self, table: Table) -> Executable:
        return select(func.release_lock(lock_name(table)))

    @contextmanager
    def locked_transaction(self, engine: Engine, table: Table, timeout_seconds: int) -> Iterator[Connection]:
        with engine.connect() as conn:
            try:
                with conn.begin():
                    for statement in self.lock_statements(table, conn.dialect, timeout_seconds):
                        if conn.execute(statement).scalar() != 1:
                            raise LockNotGranted(
                                f"swap lock on {table.fullname} not granted in {timeout_seconds}s"
                            )
                    yield conn
            finally:
                self._release(conn, table)

    def _release(self, conn: Connection, table: Table) -> None:
        if conn.invalidated:
            return  # the session is gone, and the server released its locks with it
        try:
            # Releasing a lock this session does not hold is harmless (returns 0 or NULL).
            conn.execute(self.release_statement(table))
            conn.commit()
        except DBAPIError:
            # Closing the session is the other way to release; never pool a connection that may hold it.
            conn.invalidate()
