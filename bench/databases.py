"""The shared database servers the benchmarks use (the test suite's, same variables) and the legacy table."""

from __future__ import annotations

import os

from tests import processes

POSTGRES_URL = os.environ.get(
    "MAILBANNER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get("MAILBANNER_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")

# The legacy delivery table is the one the end-to-end and fault tests use.
LEGACY_DDL = processes.LEGACY_DDL


def mariadb_odbc_url(database: str) -> str:
    """A database of the MariaDB test server through pyodbc."""
    return processes.mariadb_odbc_url(MARIADB_URL, database)
