"""The rename and dependent-object SQL of each dialect, compiled (SQL Server and Db2 without servers)."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import mssql, mysql, postgresql, registry, sqlite
from sqlalchemy.engine import Dialect as SADialect
from sqlalchemy.sql.base import Executable

from sync_worker.dialects import dialect_for

LIVE = Table("T_MAIL_BANNER", MetaData(), schema="MAILDB")
NEW = Table("T_MAIL_BANNER_NEW", MetaData(), schema="MAILDB")
RENAMES = [(LIVE, "T_MAIL_BANNER_BAK_20261122030000"), (NEW, "T_MAIL_BANNER")]


def _sql(statement: Executable, dialect: SADialect) -> str:
    return " ".join(str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})).split())


@pytest.fixture
def db2() -> SADialect:
    dialect: SADialect = registry.load("db2.ibm_db")()
    return dialect


def test_mssql_renames_with_sp_rename_old_name_qualified_new_name_bare() -> None:
    statements = dialect_for("mssql+pyodbc://dsn").rename_statements(RENAMES, mssql.dialect())

    assert [_sql(s, mssql.dialect()) for s in statements] == [
        "EXEC sp_rename '[MAILDB].[T_MAIL_BANNER]', 'T_MAIL_BANNER_BAK_20261122030000', 'OBJECT'",
        "EXEC sp_rename '[MAILDB].[T_MAIL_BANNER_NEW]', 'T_MAIL_BANNER', 'OBJECT'",
    ]


def test_db2_renames_with_rename_table(db2: SADialect) -> None:
    statements = dialect_for("db2+ibm_db://h/db").rename_statements(RENAMES, db2)

    assert [_sql(s, db2) for s in statements] == [
        'RENAME TABLE "MAILDB"."T_MAIL_BANNER" TO "T_MAIL_BANNER_BAK_20261122030000"',
        'RENAME TABLE "MAILDB"."T_MAIL_BANNER_NEW" TO "T_MAIL_BANNER"',
    ]


def test_mariadb_renames_both_tables_in_one_atomic_statement() -> None:
    statements = dialect_for("mysql+pymysql://h/db").rename_statements(RENAMES, mysql.dialect())

    assert [_sql(s, mysql.dialect()) for s in statements] == [
        "RENAME TABLE `MAILDB`.`T_MAIL_BANNER` TO `MAILDB`.`T_MAIL_BANNER_BAK_20261122030000`, "
        "`MAILDB`.`T_MAIL_BANNER_NEW` TO `MAILDB`.`T_MAIL_BANNER`"
    ]


@pytest.mark.parametrize(
    ("url", "sa_dialect"), [("postgresql://h/db", postgresql.dialect()), ("sqlite://", sqlite.dialect())]
)
def test_postgresql_and_sqlite_rename_with_alter_table(url: str, sa_dialect: SADialect) -> None:
    lower = [(Table("mb_banner", MetaData(), schema="s"), "mb_banner_bak_20261122030000")]

    [statement] = dialect_for(url).rename_statements(lower, sa_dialect)

    assert _sql(statement, sa_dialect) == "ALTER TABLE s.mb_banner RENAME TO mb_banner_bak_20261122030000"


def test_mssql_dependents_query_views_foreign_keys_and_triggers_of_the_table() -> None:
    [statement] = dialect_for("mssql+pyodbc://dsn").dependents_statements(LIVE, mssql.dialect())

    sql = _sql(statement, mssql.dialect())
    assert "sys.sql_expression_dependencies" in sql
    assert "sys.foreign_keys" in sql
    assert "sys.triggers" in sql
    assert "OBJECT_ID('[MAILDB].[T_MAIL_BANNER]')" in sql


def test_db2_dependents_query_the_catalog_with_upper_case_names(db2: SADialect) -> None:
    table = Table("t_mail_banner", MetaData(), schema="maildb")

    [statement] = dialect_for("db2+ibm_db://h/db").dependents_statements(table, db2)

    sql = _sql(statement, db2)
    for catalog in ("SYSCAT.VIEWDEP", "SYSCAT.REFERENCES", "SYSCAT.TRIGGERS"):
        assert catalog in sql
    assert "BNAME = 'T_MAIL_BANNER'" in sql
    assert "COALESCE('MAILDB', CURRENT SCHEMA)" in sql
