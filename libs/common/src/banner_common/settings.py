"""Typed settings read from the environment in one place, with documented defaults."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "MAILBANNER_"
_RATE = re.compile(r"^[0-9]+ ?(/|per) ?[0-9]* ?(second|minute|hour|day)s?$")


class SettingsError(ValueError):
    """A setting has a value that cannot be used."""


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Every knob of Mailbanner. Each field reads MAILBANNER_<FIELD_NAME_UPPER> from the environment."""

    database_url: str = field(
        default="sqlite:///var/mailbanner.db",
        metadata={"doc": "Banner database (SQLAlchemy URL). PostgreSQL in production."},
    )
    redis_url: str = field(
        default="redis://127.0.0.1:6379/0",
        metadata={"doc": "Redis used as Celery broker and for worker coordination."},
    )
    timezone: str = field(
        default="Asia/Tokyo", metadata={"doc": "Business time zone: a schedule date is a day in this zone."}
    )
    target_names: tuple[str, ...] = field(
        default=("personalized", "mass"),
        metadata={"doc": "Delivery targets a banner can be scheduled for (comma separated)."},
    )
    targets_file: str = field(
        default="",
        metadata={"doc": "TOML file declaring the delivery targets; when set, target names come from it."},
    )
    campaign_types: tuple[str, ...] = field(
        default=("sale", "event", "brand", "partner", "information"),
        metadata={"doc": "Campaign types a banner may have (comma separated)."},
    )
    max_banners_per_day: int = field(
        default=10, metadata={"doc": "Most banners one day may hold, per target."}
    )
    image_max_bytes: int = field(default=2_000_000, metadata={"doc": "Largest image upload, in bytes."})
    image_max_width: int = field(default=1600, metadata={"doc": "Widest image accepted, in pixels."})
    image_max_height: int = field(default=1600, metadata={"doc": "Tallest image accepted, in pixels."})
    image_formats: tuple[str, ...] = field(
        default=("PNG", "JPEG", "GIF"), metadata={"doc": "Image formats accepted (Pillow format names)."}
    )
    link_max_length: int = field(default=2048, metadata={"doc": "Longest link URL accepted."})
    link_allowed_hosts: tuple[str, ...] = field(
        default=(),
        metadata={"doc": "If set, link URLs must point to one of these hosts or their subdomains."},
    )
    storage_dir: str = field(
        default="var/images", metadata={"doc": "Directory of the local image storage backend."}
    )
    image_retention_days: int = field(
        default=180,
        metadata={
            "doc": "How long a replaced image stays served, for newsletters already sent with its URL, "
            "before `mailbanner images prune` deletes it."
        },
    )
    public_base_url: str = field(
        default="http://127.0.0.1:8000",
        metadata={"doc": "Public base URL of the API; stored images are served under <base>/images/."},
    )
    events_enabled: bool = field(
        default=True, metadata={"doc": "Publish a change event after each committed change."}
    )
    publish_timeout_seconds: float = field(
        default=1.0, metadata={"doc": "Longest a request waits on Redis to publish a change event."}
    )
    window_days_back: int = field(
        default=7, metadata={"doc": "Default days before today in a target's window."}
    )
    window_days_ahead: int = field(
        default=60, metadata={"doc": "Default days after today in a target's window."}
    )
    beat_interval_seconds: float = field(
        default=60.0, metadata={"doc": "How often the beat asks for a reconcile of every enabled target."}
    )
    swap_max_delete_share: float = field(
        default=0.5,
        metadata={
            "doc": "A swap that would shrink a window by more than this share is held for an operator."
        },
    )
    sync_soft_time_limit_seconds: float = field(
        default=600.0, metadata={"doc": "A sync task is asked to stop after this long (Celery soft limit)."}
    )
    sync_time_limit_seconds: float = field(
        default=660.0, metadata={"doc": "A sync task is killed after this long; its transaction rolls back."}
    )
    sync_max_retries: int = field(
        default=8,
        metadata={"doc": "Retries of a sync that failed on a connection, deadlock or lock timeout."},
    )
    sync_retry_backoff_base_seconds: float = field(
        default=5.0, metadata={"doc": "First retry delay; it doubles each retry, with jitter."}
    )
    sync_retry_backoff_max_seconds: float = field(default=300.0, metadata={"doc": "Longest retry delay."})
    sync_lock_ttl_seconds: float = field(
        default=60.0,
        metadata={
            "doc": "Expiry of a target's run lock in Redis; renewed while the run lasts, so it bounds how"
            " long a killed worker's lock blocks that target."
        },
    )
    worker_max_memory_mb: int = field(
        default=350,
        metadata={
            "doc": "A worker pool process above this resident memory after a task is replaced by a fresh one"
            " (a guard against slow growth; a swap of 100 000 rows peaks near 125 MB). 0: off."
        },
    )
    broker_visibility_timeout_seconds: float = field(
        default=3600.0,
        metadata={
            "doc": "Redis redelivers an unacknowledged task after this long (above limits and retries)."
        },
    )
    approval_required: bool = field(
        default=False,
        metadata={
            "doc": "Four-eyes approval: new or changed schedule entries are delivered only once an approver "
            "who is not their author approves them."
        },
    )
    token_default_days: int = field(
        default=90, metadata={"doc": "Lifetime of a personal API token when none is asked for, in days."}
    )
    token_max_days: int = field(
        default=366, metadata={"doc": "Longest lifetime a personal API token may have."}
    )
    auth_cache_seconds: float = field(
        default=5.0,
        metadata={
            "doc": "How long an API process reuses a personal token's check (saves a database read per "
            "request); a token revoked or a user changed elsewhere stops working within this long. 0: off."
        },
    )
    read_cache_mb: int = field(
        default=32,
        metadata={
            "doc": "Memory each API process may use to reuse calendar, day and banner-search answers until "
            "a banner or the schedule changes (PostgreSQL and SQLite banner databases), in MB. 0: off."
        },
    )
    rate_limit_storage_url: str = field(
        default="",
        metadata={"doc": "Where rate-limit counters live (limits storage URI); empty: MAILBANNER_REDIS_URL."},
    )
    rate_limit_writes: str = field(
        default="300/minute",
        metadata={"doc": "Writes allowed per authenticated user, e.g. 300/minute; empty: no limit."},
    )
    rate_limit_failed_auth: str = field(
        default="20/minute",
        metadata={"doc": "Failed authentications allowed per client address before 429; empty: no limit."},
    )
    cors_origins: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "Browser origins allowed to call the API cross-origin (comma separated); none: none."
        },
    )
    request_max_bytes: int = field(
        default=5_000_000,
        metadata={"doc": "Largest request body (an image upload with its form), in bytes."},
    )
    json_max_bytes: int = field(
        default=1_000_000, metadata={"doc": "Largest non-upload request body, in bytes."}
    )
    oidc_issuer: str = field(
        default="",
        metadata={"doc": "OIDC issuer whose access tokens (JWT) are accepted; empty: personal tokens only."},
    )
    oidc_audience: str = field(default="", metadata={"doc": "Audience an OIDC access token must name."})
    oidc_jwks_url: str = field(
        default="", metadata={"doc": "URL of the OIDC provider's published signing keys (JWKS)."}
    )
    oidc_role_claim: str = field(
        default="roles", metadata={"doc": "Claim of an OIDC token that lists the caller's groups or roles."}
    )
    oidc_role_map: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "claim value=role pairs (comma separated), e.g. mb-planners=planner; empty: claim values "
            "that are role names map to themselves."
        },
    )
    oidc_name_claim: str = field(
        default="preferred_username", metadata={"doc": "Claim naming an OIDC caller in the audit trail."}
    )
    metrics_token: str = field(
        default="",
        metadata={
            "doc": "Bearer token Prometheus sends to read the API's /metrics; empty: /metrics is public "
            "(then keep it inside the network boundary)."
        },
    )
    worker_metrics_port: int = field(
        default=9101, metadata={"doc": "Port of the sync worker's Prometheus /metrics; 0: off."}
    )
    beat_metrics_port: int = field(
        default=9102, metadata={"doc": "Port of the beat's Prometheus /metrics; 0: off."}
    )
    metrics_address: str = field(
        default="0.0.0.0",  # noqa: S104 -- scraped from other pods; the network policies bound who
        metadata={"doc": "Address the worker's and the beat's metrics ports listen on."},
    )
    log_level: str = field(default="INFO", metadata={"doc": "Log level."})
    log_json: bool = field(default=False, metadata={"doc": "Log as JSON lines (for production)."})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _convert(f.name, f.default, raw)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"{PREFIX}TIMEZONE: unknown time zone {self.timezone!r}") from exc
        if not self.target_names:
            raise SettingsError(f"{PREFIX}TARGET_NAMES: at least one target is needed")
        if self.max_banners_per_day < 1:
            raise SettingsError(f"{PREFIX}MAX_BANNERS_PER_DAY must be at least 1")
        if not 0 < self.swap_max_delete_share <= 1:
            raise SettingsError(f"{PREFIX}SWAP_MAX_DELETE_SHARE must be in (0, 1]")
        if not 1 <= self.token_default_days <= self.token_max_days:
            raise SettingsError(f"{PREFIX}TOKEN_DEFAULT_DAYS must be 1..{PREFIX}TOKEN_MAX_DAYS")
        for name in ("rate_limit_writes", "rate_limit_failed_auth"):
            value = getattr(self, name)
            if value and not _RATE.match(value):
                raise SettingsError(f"{PREFIX}{name.upper()}: {value!r} is not like 300/minute")
        if self.request_max_bytes <= self.image_max_bytes:
            raise SettingsError(f"{PREFIX}REQUEST_MAX_BYTES must exceed {PREFIX}IMAGE_MAX_BYTES")
        if not 0 <= self.auth_cache_seconds <= 300:
            raise SettingsError(f"{PREFIX}AUTH_CACHE_SECONDS must be 0 (off) to 300")
        if self.worker_max_memory_mb < 0:
            raise SettingsError(f"{PREFIX}WORKER_MAX_MEMORY_MB must be 0 (off) or more")
        if self.image_retention_days < 0:
            raise SettingsError(f"{PREFIX}IMAGE_RETENTION_DAYS must be 0 or more")
        if self.read_cache_mb < 0:
            raise SettingsError(f"{PREFIX}READ_CACHE_MB must be 0 (off) or more")
        if self.json_max_bytes < 1:
            raise SettingsError(f"{PREFIX}JSON_MAX_BYTES must be at least 1")
        if self.oidc_issuer and not (self.oidc_audience and self.oidc_jwks_url):
            raise SettingsError(f"{PREFIX}OIDC_ISSUER needs {PREFIX}OIDC_AUDIENCE and {PREFIX}OIDC_JWKS_URL")
        for name in ("worker_metrics_port", "beat_metrics_port"):
            if not 0 <= getattr(self, name) <= 65535:
                raise SettingsError(f"{PREFIX}{name.upper()} must be 0 (off) or a port up to 65535")
        for pair in self.oidc_role_map:
            if "=" not in pair:
                raise SettingsError(f"{PREFIX}OIDC_ROLE_MAP: {pair!r} is not claim-value=role")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def image_base_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/images/"

    def storage_path(self) -> Path:
        return Path(self.storage_dir)

    def describe(self) -> list[tuple[str, str, str]]:
        """(environment variable, current value, documentation) for every setting."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = ",".join(value) if isinstance(value, tuple) else str(value)
            if f.name in {"database_url", "redis_url", "rate_limit_storage_url"}:
                shown = redact_url(shown)
            if f.name == "metrics_token" and shown:
                shown = "***"
            rows.append((PREFIX + f.name.upper(), shown, str(f.metadata.get("doc", ""))))
        return rows


def redact_url(url: str) -> str:
    """Hide the password of a URL for display."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def _convert(name: str, default: object, raw: str) -> object:
    try:
        if isinstance(default, bool):
            return _bool(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            return _csv(raw)
    except ValueError as exc:
        raise SettingsError(f"{PREFIX}{name.upper()}: {exc}") from exc
    return raw
