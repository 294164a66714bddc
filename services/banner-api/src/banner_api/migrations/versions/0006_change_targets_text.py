"""Schedule change targets as text: a change may name hundreds of targets.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_changes") as batch:
        batch.alter_column(
            "targets", type_=sa.Text(), existing_type=sa.String(length=512), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("schedule_changes") as batch:
        batch.alter_column(
            "targets", type_=sa.String(length=512), existing_type=sa.Text(), existing_nullable=False
        )
