"""SQL Server: an exclusive application lock owned by the swap transaction; pyodbc inserts in fast mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Table, text
from sqlalchemy.engine import URL
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable

from sync_worker.dialects.base import BaseDialect, lock_name

# sp_getapplock reports a refused or timed-out lock as a negative return code, not as an error.
_GET_APPLOCK = """\
DECLARE @mailbanner_lock int;
EXEC @mailbanner_lock = sp_getapplock @Resource = :resource, @LockMode = 'Exclusive', \
@LockOwner = 'Transaction', @LockTimeout = :timeout_ms;
IF @mailbanner_lock < 0 THROW 51205, 'mailbanner: swap lock not granted', 1;"""
# Views, functions and procedures reading the table (sp_rename leaves them pointing at a missing name),
# foreign keys referencing it and triggers on it.
_MSSQL_DEPENDENTS = """\
SELECT LOWER(o.type_desc), OBJECT_SCHEMA_NAME(d.referencing_id) + '.' + OBJECT_NAME(d.referencing_id)
FROM sys.sql_expression_dependencies d JOIN sys.objects o ON o.object_id = d.referencing_id
WHERE d.referenced_id = OBJECT_ID(:table)
UNION SELECT 'foreign key', fk.name + ' on ' + OBJECT_SCHEMA_NAME(fk.parent_object_id) + '.'
+ OBJECT_NAME(fk.parent_object_id) FROM sys.foreign_keys fk WHERE fk.referenced_object_id = OBJECT_ID(:table)
UNION SELECT 'trigger', t.name FROM sys.triggers t WHERE t.parent_id = OBJECT_ID(:table)"""


class MSSQLDialect(BaseDialect):
    """sp_getapplock with @LockOwner='Transaction': a second swap waits; COMMIT or ROLLBACK releases it.

    An application lock, not a table lock, so legacy readers of the table are never blocked by it.
    """

    name = "mssql"
    # 1205 deadlock victim, 1222 lock request timeout, 51205 our own "lock not granted" THROW.
    retryable_native: ClassVar[frozenset[int]] = frozenset({1205, 1222, 51205})

    def engine_options(self, url: URL) -> dict[str, Any]:
        # Sends each executemany chunk as one array-bound batch instead of a round trip per row.
        return {"fast_executemany": True} if url.get_driver_name() == "pyodbc" else {}

    def lock_statements(self, table: Table, sa_dialect: SADialect, timeout_seconds: int) -> list[Executable]:
        return [
            text(_GET_APPLOCK).bindparams(resource=lock_name(table), timeout_ms=int(timeout_seconds) * 1000)
        ]

    def rename_statements(
        self, renames: Sequence[tuple[Table, str]], sa_dialect: SADialect
    ) -> list[Executable]:
        # sp_rename takes the old name schema-qualified and the new one bare; it runs inside the caller's
        # transaction, so both renames commit or roll back together.
        prepare = sa_dialect.identifier_preparer
        return [
            text("EXEC sp_rename :old_name, :new_name, 'OBJECT'").bindparams(
                old_name=prepare.format_table(table), new_name=new_name
            )
            for table, new_name in renames
        ]

    def dependents_statements(self, table: Table, sa_dialect: SADialect) -> list[Executable]:
        return [text(_MSSQL_DEPENDENTS).bindparams(table=sa_dialect.identifier_preparer.format_table(table))]
