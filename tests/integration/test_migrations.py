"""Alembic owns the banner schema: migrations match the models and go up and down on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from banner_api import migrate
from banner_common.models import Base


def test_models_and_migrations_agree(banner_db_url: str) -> None:
    migrate.check(banner_db_url)  # raises when autogenerate would find any difference


def test_migrations_downgrade_to_nothing_and_upgrade_again(banner_db_url: str) -> None:
    migrate.downgrade(banner_db_url, "base")
    engine = sa.create_engine(banner_db_url)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(banner_db_url)
    assert {t.name for t in Base.metadata.sorted_tables} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_a_change_to_the_models_without_a_migration_is_caught(banner_db_url: str) -> None:
    from alembic.util.exc import CommandError

    engine = sa.create_engine(banner_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(CommandError):
        migrate.check(banner_db_url)
    engine = sa.create_engine(banner_db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE stray_table"))
    engine.dispose()
