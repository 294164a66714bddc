"""A content version moved by triggers on every write to banners, schedule entries and days.

SQLite loses a table's triggers when a later migration rebuilds the table (batch mode): such a migration
must create them again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows a cached read response can show (banner_api.read_cache).
TABLES = ("banners", "schedule_entries", "schedule_days")
BUMP = "UPDATE content_version SET version = version + 1 WHERE id = 1"
# PostgreSQL: deferred to the commit and once per transaction. Locking the one row at a transaction's
# first write would hold it while the transaction goes on to wait for day rows another writer holds,
# which waits for the counter in turn: a deadlock. At commit nothing is waited for after it.
PG_FUNCTION = f"""
CREATE FUNCTION mailbanner_bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('mailbanner.content_bumped', true), '') <> 'on' THEN
    PERFORM set_config('mailbanner.content_bumped', 'on', true);
    {BUMP};
  END IF;
  RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )
    op.execute("INSERT INTO content_version (id, version) VALUES (1, 0)")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {table}_content_version AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                "EXECUTE FUNCTION mailbanner_bump_content_version()"
            )
            # A constraint trigger cannot watch TRUNCATE; a truncate takes a table lock anyway.
            op.execute(
                f"CREATE TRIGGER {table}_content_version_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mailbanner_bump_content_version()"
            )
    elif dialect == "sqlite":
        # One writer at a time in SQLite: a plain trigger per row and kind of write.
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_content_version_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {BUMP}; END"
                )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_content_version ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_content_version_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS mailbanner_bump_content_version()")
    elif dialect == "sqlite":
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_content_version_{event}")
    op.drop_table("content_version")
