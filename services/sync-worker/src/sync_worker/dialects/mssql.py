"""SQL Server: an exclusive application lock owned by the swap transaction; pyodbc inserts in fast mode."""

from __future__ import annotations

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
