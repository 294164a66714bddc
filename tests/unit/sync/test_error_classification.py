"""Which target errors are worth a retry, from the codes real drivers put in their exceptions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pymysql
import pyodbc
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from sync_worker.dialects import LockNotGranted, dialect_for
from sync_worker.dialects.base import error_codes


def _wrap(
    kind: type[OperationalError] | type[IntegrityError] | type[ProgrammingError], orig: Exception
) -> Exception:
    return kind("INSERT ...", {}, orig)


@pytest.mark.parametrize(
    ("url", "error", "retryable"),
    [
        (
            "mysql+pymysql://h/db",
            _wrap(OperationalError, pymysql.err.OperationalError(1213, "Deadlock found")),
            True,
        ),
        (
            "mysql+pymysql://h/db",
            _wrap(OperationalError, pymysql.err.OperationalError(1205, "Lock wait timeout")),
            True,
        ),
        (
            "mysql+pymysql://h/db",
            _wrap(OperationalError, pymysql.err.OperationalError(4025, "CONSTRAINT failed")),
            False,
        ),
        (
            "mysql+pyodbc://dsn",
            _wrap(
                OperationalError,
                pyodbc.Error("HY000", "[HY000] [ma-3.1.15]Deadlock found (1213) (SQLExecDirectW)"),
            ),
            True,
        ),
        (
            "mssql+pyodbc://dsn",
            _wrap(
                OperationalError,
                pyodbc.Error(
                    "40001", "[40001] [Microsoft][SQL Server]was deadlocked (1205) (SQLExecDirectW)"
                ),
            ),
            True,
        ),
        (
            "mssql+pyodbc://dsn",
            _wrap(
                IntegrityError,
                pyodbc.IntegrityError("23000", "[23000] String or binary data truncated (2628)"),
            ),
            False,
        ),
        (
            "db2+ibm_db://h/db",
            _wrap(
                OperationalError,
                Exception("[IBM][CLI Driver][DB2/LINUXX8664] SQL0911N  SQLSTATE=40001 SQLCODE=-911"),
            ),
            True,
        ),
        (
            "db2+ibm_db://h/db",
            _wrap(
                IntegrityError,
                Exception("[IBM][CLI Driver][DB2/LINUXX8664] SQL0545N SQLSTATE=23513 SQLCODE=-545"),
            ),
            False,
        ),
        ("sqlite:///x.db", _wrap(ProgrammingError, sqlite3.ProgrammingError("bad")), False),
        ("postgresql+psycopg://h/db", LockNotGranted("busy"), True),
        ("postgresql+psycopg://h/db", ValueError("bad value"), False),
    ],
)
def test_retryable_errors_are_connection_deadlock_and_lock_timeouts(
    url: str, error: Exception, retryable: bool
) -> None:
    assert dialect_for(url).is_retryable(error) is retryable


def test_codes_are_read_from_pyodbc_messages() -> None:
    orig = pyodbc.Error(
        "HY000", "[HY000] [ma-3.1.15][10.11]Lock wait timeout exceeded (1205) (SQLExecDirectW)"
    )

    codes = error_codes(OperationalError("x", {}, orig))

    assert (codes.sqlstate, codes.native) == ("HY000", 1205)


def test_sqlite_busy_is_retryable(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            waiter.execute("BEGIN IMMEDIATE")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiter.close()

    assert dialect_for("sqlite:///x.db").is_retryable(_wrap(OperationalError, raised.value))
