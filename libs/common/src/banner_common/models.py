"""SQLAlchemy models of the banner database, shared by the API (writes) and the worker (reads)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


APPROVED = "approved"
PENDING = "pending"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no offset, so it is normalised here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


BANNER_REGISTERED = "registered"
NEW_TARGET_REASON = "new target"
BANNER_IMPORTED = "imported"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Banner(Base):
    __tablename__ = "banners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    image_url: Mapped[str] = mapped_column(String(2048))
    # Key in the image storage backend; None for banners whose image lives elsewhere (imported ones).
    image_key: Mapped[str | None] = mapped_column(String(255))
    image_width: Mapped[int] = mapped_column(Integer)
    image_height: Mapped[int] = mapped_column(Integer)
    image_content_type: Mapped[str] = mapped_column(String(50))
    image_bytes: Mapped[int] = mapped_column(Integer)
    link_url: Mapped[str] = mapped_column(String(2048))
    campaign_type: Mapped[str] = mapped_column(String(50), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # "registered" through the API, or "imported" from a legacy delivery table at cut-over.
    source: Mapped[str] = mapped_column(
        String(20), default=BANNER_REGISTERED, server_default=BANNER_REGISTERED, index=True
    )
    archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    entries: Mapped[list[ScheduleEntry]] = relationship(back_populates="banner")

    __mapper_args__ = {"version_id_col": version}


class ScheduleEntry(Base):
    """One banner shown on one date for one target, at a position (1 = top of the footer)."""

    __tablename__ = "schedule_entries"
    __table_args__ = (
        UniqueConstraint("banner_id", "date", "target", name="uq_schedule_entries_banner_date_target"),
        Index("ix_schedule_entries_target_date", "target", "date", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    banner_id: Mapped[int] = mapped_column(ForeignKey("banners.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    target: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Approval: `approval` is "approved" or "pending" (unapproved changes by the comma separated
    # `changed_by` authors). The approved_* columns hold what was last approved, which is what a target
    # receives while approval is required; with approval off every change approves itself, so they follow
    # the live columns.
    approval: Mapped[str] = mapped_column(String(16), default=APPROVED, server_default=APPROVED)
    changed_by: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_position: Mapped[int | None] = mapped_column(Integer)
    approved_image_url: Mapped[str | None] = mapped_column(String(2048))
    approved_link_url: Mapped[str | None] = mapped_column(String(2048))

    banner: Mapped[Banner] = relationship(back_populates="entries")


class ScheduleDay(Base):
    """The version of one day's ordered list for one target: the ETag two planners compare."""

    __tablename__ = "schedule_days"

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RetiredImage(Base):
    """A stored image file a banner no longer shows, kept for newsletters already sent with its URL.

    `mailbanner images prune` deletes the file once the retention period has passed and no approved
    entry still delivers it.
    """

    __tablename__ = "retired_images"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    retired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ContentVersion(Base):
    """One row counting every committed write to banners, schedule entries and days.

    Database triggers (migration 0007) move it for every writer: the API, an import, a hand-written
    UPDATE. The API keeps read responses per content version, so a response is reused only while
    nothing it could show has changed.
    """

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class ScheduleChange(Base):
    """A committed change to the delivery content, written in the same transaction as the change.

    The worker compares its last applied id with these to measure lag; an event lost on the way
    still leaves this row behind, which the next reconcile covers.
    """

    __tablename__ = "schedule_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    committed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    targets: Mapped[str] = mapped_column(Text)  # comma separated; a change may name hundreds
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(100), default="")

    @property
    def target_list(self) -> tuple[str, ...]:
        return tuple(t for t in self.targets.split(",") if t)


class TargetState(Base):
    """Operator-controlled and worker-recorded state of one delivery target."""

    __tablename__ = "target_states"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[str] = mapped_column(String(200), default=NEW_TARGET_REASON)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    held_diff: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    in_sync: Mapped[bool | None] = mapped_column(Boolean)
    applied_change_id: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """One run of the swap job for one target."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_target_started", "target", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default="running", index=True)
    window_first: Mapped[dt.date | None] = mapped_column(Date)
    window_last: Mapped[dt.date | None] = mapped_column(Date)
    rows_deleted: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    diff_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    applied_change_id: Mapped[int | None] = mapped_column(Integer)


class User(Base):
    """A person or machine that calls the API: roles say what it may do, scopes narrow what it sees."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    roles: Mapped[str] = mapped_column(String(200))  # comma separated role names
    # Comma separated; empty means unrestricted.
    campaign_types: Mapped[str] = mapped_column(String(500), default="")
    views: Mapped[str] = mapped_column(String(200), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def role_list(self) -> tuple[str, ...]:
        return _split(self.roles)

    @property
    def campaign_type_list(self) -> tuple[str, ...]:
        return _split(self.campaign_types)

    @property
    def view_list(self) -> tuple[str, ...]:
        return _split(self.views)


class ApiToken(Base):
    """A personal API token: only its SHA-256 hash is kept, found by its short public prefix."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEvent(Base):
    """One write, appended in the same transaction as the write itself; never updated or deleted."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_days", "first_day", "last_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str] = mapped_column(String(128), default="")
    # The footer days the write touched, for "who changed the footer of this day?".
    first_day: Mapped[dt.date | None] = mapped_column(Date)
    last_day: Mapped[dt.date | None] = mapped_column(Date)
    # ",sale,event," -- the campaign types involved, so a scoped reader sees only its own; empty: none.
    campaign_types: Mapped[str] = mapped_column(String(500), default="")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)
