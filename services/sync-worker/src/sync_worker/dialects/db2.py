"""IBM Db2 / IIAS: LOCK TABLE in exclusive mode inside the swap transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import Table, text
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable

from sync_worker.dialects.base import BaseDialect

# Db2 refuses RENAME TABLE while views, triggers or foreign keys reference the table (SQL0750N); say which.
_DB2_DEPENDENTS = """\
SELECT 'view', RTRIM(VIEWSCHEMA) || '.' || VIEWNAME FROM SYSCAT.VIEWDEP
WHERE BSCHEMA = COALESCE(:schema, CURRENT SCHEMA) AND BNAME = :table AND BTYPE IN ('T', 'S')
UNION SELECT 'foreign key', CONSTNAME || ' on ' || RTRIM(TABSCHEMA) || '.' || TABNAME FROM SYSCAT.REFERENCES
WHERE REFTABSCHEMA = COALESCE(:schema, CURRENT SCHEMA) AND REFTABNAME = :table
UNION SELECT 'trigger', RTRIM(TRIGSCHEMA) || '.' || TRIGNAME FROM SYSCAT.TRIGGERS
WHERE TABSCHEMA = COALESCE(:schema, CURRENT SCHEMA) AND TABNAME = :table"""


class Db2Dialect(BaseDialect):
    """LOCK TABLE ... IN EXCLUSIVE MODE: a second swap waits; COMMIT or ROLLBACK releases it.

    Db2 has no advisory locks. The wait is bounded by the database's LOCKTIMEOUT, not by the target's
    lock timeout. ibm_db rolls back the whole transaction on any failure (including one executemany
    chunk), so a failed swap never leaves half the window.
    """

    name = "db2"
    # -911 deadlock or timeout (transaction rolled back), -913 deadlock or timeout (statement), -904 resource
    # unavailable, -30081 communication error.
    retryable_native: ClassVar[frozenset[int]] = frozenset({-911, -913, -904, -30081})
    retryable_sqlstates: ClassVar[frozenset[str]] = BaseDialect.retryable_sqlstates | {
        "40003",
        "57011",
        "57033",
    }

    def lock_statements(self, table: Table, sa_dialect: SADialect, timeout_seconds: int) -> list[Executable]:
        return [text(f"LOCK TABLE {sa_dialect.identifier_preparer.format_table(table)} IN EXCLUSIVE MODE")]

    def same_identifier(self, configured: str, reflected: str, sa_dialect: SADialect) -> bool:
        # Db2 folds unquoted names to upper case and SQLAlchemy reflects them normalised to lower case.
        return sa_dialect.normalize_name(sa_dialect.denormalize_name(configured)) == reflected

    def rename_statements(
        self, renames: Sequence[tuple[Table, str]], sa_dialect: SADialect
    ) -> list[Executable]:
        # RENAME TABLE is DDL inside the unit of work: both renames commit together. The new name is bare.
        prepare = sa_dialect.identifier_preparer
        return [
            text(f"RENAME TABLE {prepare.format_table(table)} TO {prepare.quote(new_name)}")
            for table, new_name in renames
        ]

    def dependents_statements(self, table: Table, sa_dialect: SADialect) -> list[Executable]:
        # The catalog holds unquoted names in upper case.
        schema = sa_dialect.denormalize_name(table.schema) if table.schema else None
        return [
            text(_DB2_DEPENDENTS).bindparams(schema=schema, table=sa_dialect.denormalize_name(table.name))
        ]
