"""Retired images: files a banner no longer shows, kept for newsletters already sent with their URL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from banner_common.models import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retired_images",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("retired_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_retired_images")),
    )
    op.create_index(op.f("ix_retired_images_retired_at"), "retired_images", ["retired_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_retired_images_retired_at"), table_name="retired_images")
    op.drop_table("retired_images")
