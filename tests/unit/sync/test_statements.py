"""Every statement the worker sends, compiled for SQL Server and Db2 (no servers here), read as text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import mssql, postgresql, registry
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable

from banner_common.delivery import DayWindow
from banner_common.targets import ColumnMap, DatetimeStorage, TargetSpec
from sync_worker.bootstrap import make_target_engine
from sync_worker.dialects import dialect_for
from sync_worker.dialects.base import lock_name
from sync_worker.target_table import TargetTable

WINDOW = DayWindow(dt.date(2026, 11, 21), dt.date(2026, 11, 25))
LEGACY_COLUMNS = ColumnMap("BANNER_IMG_URL", "LINK_URL", "DISP_PRIORITY", "DISP_START_DT", "DISP_END_DT")


def _spec(url: str, **overrides: object) -> TargetSpec:
    values: dict[str, object] = {
        "name": "personalized",
        "url": url,
        "table": "T_MAIL_BANNER",
        "schema": "MAILDB",
        "columns": LEGACY_COLUMNS,
        "constants": {"UPD_USER": "mailbanner"},
        "now_columns": ("UPD_DT",),
    }
    values.update(overrides)
    return TargetSpec(**values)  # type: ignore[arg-type]


def _sql(statement: Executable, dialect: SADialect) -> str:
    return " ".join(str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})).split())


def _target(url: str, **overrides: object) -> TargetTable:
    return TargetTable.for_spec(_spec(url, **overrides), ZoneInfo("Asia/Tokyo"), dialect_for(url))


MSSQL_URL = "mssql+pyodbc://user:secret@mssql-dsn"
DB2_URL = "db2+ibm_db://user:secret@db2host:50000/MAILDB"


@pytest.fixture
def db2() -> SADialect:
    dialect: SADialect = registry.load("db2.ibm_db")()
    return dialect


def test_mssql_lock_is_an_exclusive_transaction_owned_applock_checked_for_failure() -> None:
    target = _target(MSSQL_URL)
    [lock] = dialect_for(MSSQL_URL).lock_statements(target.table, mssql.dialect(), 30)

    sql = _sql(lock, mssql.dialect())

    resource = lock_name(target.table)
    assert (
        f"EXEC @mailbanner_lock = sp_getapplock @Resource = '{resource}', @LockMode = 'Exclusive',"
        " @LockOwner = 'Transaction', @LockTimeout = 30000;"
    ) in sql
    assert "IF @mailbanner_lock < 0 THROW" in sql


def test_mssql_window_delete_insert_and_select() -> None:
    target = _target(MSSQL_URL)
    table = "[MAILDB].[T_MAIL_BANNER]"
    start = f"{table}.[DISP_START_DT]"
    window = f"WHERE {start} >= '2026-11-21 00:00:00' AND {start} < '2026-11-26 00:00:00'"

    assert _sql(target.delete_window(WINDOW), mssql.dialect()) == f"DELETE FROM {table} {window}"
    assert _sql(target.insert(), mssql.dialect()).startswith(
        f"INSERT INTO {table} ([BANNER_IMG_URL], [LINK_URL], [DISP_PRIORITY], [DISP_START_DT], [DISP_END_DT],"
        " [UPD_USER], [UPD_DT]) VALUES"
    )
    assert _sql(target.select_window(WINDOW), mssql.dialect()) == (
        f"SELECT {table}.[BANNER_IMG_URL], {table}.[LINK_URL], {table}.[DISP_PRIORITY], {start},"
        f" {table}.[DISP_END_DT] FROM {table} {window}"
    )


def test_mssql_pyodbc_engine_uses_fast_executemany() -> None:
    engine = make_target_engine(_spec(MSSQL_URL))

    assert engine.dialect.fast_executemany is True  # type: ignore[attr-defined]
    engine.dispose()


def test_db2_lock_is_an_exclusive_table_lock(db2: SADialect) -> None:
    target = _target(DB2_URL)

    statements = [_sql(s, db2) for s in dialect_for(DB2_URL).lock_statements(target.table, db2, 30)]

    assert statements == ['LOCK TABLE "MAILDB"."T_MAIL_BANNER" IN EXCLUSIVE MODE']


def test_db2_window_delete_insert_and_select_in_naive_utc(db2: SADialect) -> None:
    target = _target(DB2_URL, datetime_storage=DatetimeStorage.NAIVE_UTC)
    table = '"MAILDB"."T_MAIL_BANNER"'
    # Tokyo midnight of 2026-11-21 is 15:00 UTC the day before.
    start = f'{table}."DISP_START_DT"'
    window = f"WHERE {start} >= '2026-11-20 15:00:00' AND {start} < '2026-11-25 15:00:00'"

    assert _sql(target.delete_window(WINDOW), db2) == f"DELETE FROM {table} {window}"
    assert _sql(target.insert(), db2) == (
        f'INSERT INTO {table} ("BANNER_IMG_URL", "LINK_URL", "DISP_PRIORITY", "DISP_START_DT", "DISP_END_DT",'
        ' "UPD_USER", "UPD_DT") VALUES (?, ?, ?, ?, ?, ?, ?)'
    )
    assert _sql(target.select_window(WINDOW), db2) == (
        f'SELECT {table}."BANNER_IMG_URL", {table}."LINK_URL", {table}."DISP_PRIORITY", {start},'
        f' {table}."DISP_END_DT" FROM {table} {window}'
    )


def test_db2_lower_case_names_are_left_unquoted_so_db2_folds_them(db2: SADialect) -> None:
    target = _target(
        DB2_URL, schema="maildb", table="t_mail_banner", columns=ColumnMap(), constants={}, now_columns=()
    )

    assert _sql(target.delete_window(WINDOW), db2).startswith(
        "DELETE FROM maildb.t_mail_banner WHERE maildb.t_mail_banner.start_at >= "
    )
    assert [_sql(s, db2) for s in dialect_for(DB2_URL).lock_statements(target.table, db2, 30)] == [
        "LOCK TABLE maildb.t_mail_banner IN EXCLUSIVE MODE"
    ]


def test_insert_parameters_carry_constants_and_the_swap_time_in_storage_time() -> None:
    target = _target(MSSQL_URL)
    key = ("img", "link", 1, dt.datetime(2026, 11, 21), dt.datetime(2026, 11, 22))

    [params] = target.insert_params([key], dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC))

    assert params == {
        "BANNER_IMG_URL": "img",
        "LINK_URL": "link",
        "DISP_PRIORITY": 1,
        "DISP_START_DT": dt.datetime(2026, 11, 21),
        "DISP_END_DT": dt.datetime(2026, 11, 22),
        "UPD_USER": "mailbanner",
        "UPD_DT": dt.datetime(2026, 11, 22, 12, 0),
    }


def test_postgresql_reads_targets_file_names_as_unquoted_identifiers() -> None:
    target = _target("postgresql+psycopg://h/db")

    assert _sql(target.delete_window(WINDOW), postgresql.dialect()).startswith(
        "DELETE FROM maildb.t_mail_banner WHERE maildb.t_mail_banner.disp_start_dt >= "
    )
    assert _sql(target.insert(), postgresql.dialect()).startswith(
        "INSERT INTO maildb.t_mail_banner (banner_img_url, link_url, disp_priority, disp_start_dt,"
        " disp_end_dt, upd_user, upd_dt)"
    )
