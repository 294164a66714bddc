"""IBM Db2 / IIAS: LOCK TABLE in exclusive mode inside the swap transaction."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import Table, text
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable

from sync_worker.dialects.base import BaseDialect


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
