"""Banner source: registered through the API or imported from a legacy delivery table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("banners") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="registered")
        )
        batch.create_index(batch.f("ix_banners_source"), ["source"])
    # Banners imported before this column existed carry the importer's title prefix.
    op.execute("UPDATE banners SET source = 'imported' WHERE title LIKE '[imported] %'")


def downgrade() -> None:
    with op.batch_alter_table("banners") as batch:
        batch.drop_index(batch.f("ix_banners_source"))
        batch.drop_column("source")
