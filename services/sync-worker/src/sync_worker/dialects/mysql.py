"""MariaDB and MySQL: a named lock (GET_LOCK) taken in the swap transaction and released right after it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import ClassVar

from sqlalchemy import Connection, Engine, Table, func, select, text
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable

from sync_worker.dialects.base import BaseDialect, LockNotGranted, lock_name, sibling

_MYSQL_VIEWS = """\
SELECT 'view', CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) FROM information_schema.VIEWS
WHERE VIEW_DEFINITION LIKE CONCAT('%`', COALESCE(:schema, DATABASE()), '`.`', :table, '`%')"""
_MYSQL_FOREIGN_KEYS = """\
SELECT DISTINCT 'foreign key', CONCAT(CONSTRAINT_NAME, ' on ', TABLE_SCHEMA, '.', TABLE_NAME)
FROM information_schema.KEY_COLUMN_USAGE
WHERE REFERENCED_TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND REFERENCED_TABLE_NAME = :table"""
_MYSQL_TRIGGERS = """\
SELECT 'trigger', CONCAT(TRIGGER_SCHEMA, '.', TRIGGER_NAME) FROM information_schema.TRIGGERS
WHERE EVENT_OBJECT_SCHEMA = COALESCE(:schema, DATABASE()) AND EVENT_OBJECT_TABLE = :table"""


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

    def rename_statements(
        self, renames: Sequence[tuple[Table, str]], sa_dialect: SADialect
    ) -> list[Executable]:
        # One RENAME TABLE with several pairs is atomic: readers never find the live name missing.
        prepare = sa_dialect.identifier_preparer
        pairs = ", ".join(
            f"{prepare.format_table(table)} TO {prepare.format_table(sibling(table, new_name))}"
            for table, new_name in renames
        )
        return [text(f"RENAME TABLE {pairs}")]

    def dependents_statements(self, table: Table, sa_dialect: SADialect) -> list[Executable]:
        # Views name their tables (a view would read the new table, not the one it was checked with).
        return [
            text(query).bindparams(schema=table.schema, table=table.name)
            for query in (_MYSQL_VIEWS, _MYSQL_FOREIGN_KEYS, _MYSQL_TRIGGERS)
        ]
