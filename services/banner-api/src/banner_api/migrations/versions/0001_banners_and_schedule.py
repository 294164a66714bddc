"""Banners, schedule entries, day versions and the change log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from banner_common.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "banners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("image_url", sa.String(length=2048), nullable=False),
        sa.Column("image_key", sa.String(length=255), nullable=True),
        sa.Column("image_width", sa.Integer(), nullable=False),
        sa.Column("image_height", sa.Integer(), nullable=False),
        sa.Column("image_content_type", sa.String(length=50), nullable=False),
        sa.Column("image_bytes", sa.Integer(), nullable=False),
        sa.Column("link_url", sa.String(length=2048), nullable=False),
        sa.Column("campaign_type", sa.String(length=50), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("archived_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banners")),
    )
    op.create_index(op.f("ix_banners_archived"), "banners", ["archived"])
    op.create_index(op.f("ix_banners_campaign_type"), "banners", ["campaign_type"])

    op.create_table(
        "schedule_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("targets", sa.String(length=512), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_changes")),
    )
    op.create_index(op.f("ix_schedule_changes_committed_at"), "schedule_changes", ["committed_at"])

    op.create_table(
        "schedule_days",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("date", "target", name=op.f("pk_schedule_days")),
    )

    op.create_table(
        "schedule_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("banner_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["banner_id"],
            ["banners.id"],
            name=op.f("fk_schedule_entries_banner_id_banners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_entries")),
        sa.UniqueConstraint("banner_id", "date", "target", name="uq_schedule_entries_banner_date_target"),
    )
    op.create_index(op.f("ix_schedule_entries_banner_id"), "schedule_entries", ["banner_id"])
    op.create_index("ix_schedule_entries_target_date", "schedule_entries", ["target", "date", "position"])


def downgrade() -> None:
    op.drop_table("schedule_entries")
    op.drop_table("schedule_days")
    op.drop_table("schedule_changes")
    op.drop_table("banners")
