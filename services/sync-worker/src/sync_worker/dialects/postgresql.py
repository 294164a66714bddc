"""PostgreSQL: a transaction-scoped advisory lock keyed by the table, bounded by lock_timeout."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable

from sync_worker.dialects.base import BaseDialect, lock_key

_PG_VIEWS = """\
SELECT DISTINCT CASE v.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END, v.oid::regclass::text
FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class
WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = to_regclass(:table) AND v.oid <> d.refobjid"""
_PG_FOREIGN_KEYS = """\
SELECT 'foreign key', conname || ' on ' || conrelid::regclass::text FROM pg_constraint
WHERE contype = 'f' AND confrelid = to_regclass(:table)"""
_PG_TRIGGERS = """\
SELECT 'trigger', tgname FROM pg_trigger WHERE tgrelid = to_regclass(:table) AND NOT tgisinternal"""


class PostgresDialect(BaseDialect):
    """pg_advisory_xact_lock: a second swap of the same table waits; COMMIT or ROLLBACK releases it.

    The lock is advisory, so the legacy readers of the table are never blocked by it.
    """

    name = "postgresql"
    # 57P01..57P03: the server is shutting down or cannot accept connections yet.
    retryable_sqlstates: ClassVar[frozenset[str]] = BaseDialect.retryable_sqlstates | {
        "57P01",
        "57P02",
        "57P03",
    }

    def lock_statements(self, table: Table, sa_dialect: SADialect, timeout_seconds: int) -> list[Executable]:
        return [
            # SET does not take bind parameters; the value is an int from the targets file.
            text(f"SET LOCAL lock_timeout = '{int(timeout_seconds)}s'"),
            select(func.pg_advisory_xact_lock(lock_key(table))),
        ]

    def identifier(self, name: str) -> str:
        # PostgreSQL folds unquoted names to lower case: BANNER_IMG_URL in the targets file means the
        # column a legacy `CREATE TABLE ... (BANNER_IMG_URL ...)` made, banner_img_url.
        return name.lower()

    def same_identifier(self, configured: str, reflected: str, sa_dialect: SADialect) -> bool:
        return self.identifier(configured) == reflected

    def dependents_statements(self, table: Table, sa_dialect: SADialect) -> list[Executable]:
        qualified = sa_dialect.identifier_preparer.format_table(table)
        # A view or foreign key follows a renamed table by its oid: it would read or guard the backup.
        return [
            text(_PG_VIEWS).bindparams(table=qualified),
            text(_PG_FOREIGN_KEYS).bindparams(table=qualified),
            text(_PG_TRIGGERS).bindparams(table=qualified),
        ]
