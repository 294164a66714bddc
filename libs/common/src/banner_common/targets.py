"""Delivery targets declared in a TOML file: TargetSpec is what the worker needs to write one table."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from banner_common.delivery import PriorityOrder
from banner_common.settings import Settings, redact_url

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$#@]*$")
_TARGET_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_SENDING_WINDOW = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
DELIVERY_FIELDS = ("image_url", "link_url", "priority", "start_at", "end_at")


class TargetsFileError(ValueError):
    """The targets file is missing, malformed or names something impossible."""


class DatetimeStorage(StrEnum):
    """How a delivery table stores display start and end."""

    NAIVE_LOCAL = "naive_local"  # wall-clock time in the business time zone, no offset
    NAIVE_UTC = "naive_utc"  # UTC, no offset


@dataclass(frozen=True, order=True)
class SendingWindow:
    """A daily span of wall-clock time in the business time zone in which the delivery system sends mail.

    The end is exclusive; an end earlier than the start means the span runs past midnight.
    """

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> SendingWindow:
        """Parse "HH:MM-HH:MM", e.g. "09:00-09:30" or "23:30-00:15" (past midnight)."""
        match = _SENDING_WINDOW.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"sending window {text!r} is not HH:MM-HH:MM")
        try:
            start = dt.time(int(match.group(1)), int(match.group(2)))
            end = dt.time(int(match.group(3)), int(match.group(4)))
        except ValueError as exc:
            raise ValueError(f"sending window {text!r}: {exc}") from exc
        if start == end:
            raise ValueError(f"sending window {text!r} starts when it ends")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class ColumnMap:
    """The legacy table's column name for each delivery field."""

    image_url: str = "image_url"
    link_url: str = "link_url"
    priority: str = "priority"
    start_at: str = "start_at"
    end_at: str = "end_at"

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in DELIVERY_FIELDS}


@dataclass(frozen=True)
class TargetSpec:
    """One delivery target. `url` may hold ${ENV} placeholders, resolved only by the worker."""

    name: str
    url: str
    table: str
    schema: str | None = None
    columns: ColumnMap = field(default_factory=ColumnMap)
    constants: Mapping[str, Any] = field(default_factory=dict)
    now_columns: tuple[str, ...] = ()
    priority_order: PriorityOrder = PriorityOrder.TOP_IS_ONE
    datetime_storage: DatetimeStorage = DatetimeStorage.NAIVE_LOCAL
    window_days_back: int = 7
    window_days_ahead: int = 60
    enabled: bool = True
    max_delete_share: float | None = None
    chunk_size: int = 1000
    lock_timeout_seconds: int = 60  # longest a swap waits for another swap of the same table
    # Delivery guard: a swap that would fall inside one of these daily spans waits until it ends. None: off.
    sending_windows: tuple[SendingWindow, ...] = ()

    def resolved_url(self, environ: Mapping[str, str] | None = None) -> str:
        """The URL with its placeholders filled from the environment (secrets live only there)."""
        env = os.environ if environ is None else environ

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise TargetsFileError(f"target {self.name}: environment variable {name} is not set")
            return env[name]

        return _PLACEHOLDER.sub(fill, self.url)

    @property
    def display_url(self) -> str:
        """The URL as safe to show: placeholders as written, any literal password hidden."""
        _scheme, _, rest = self.url.partition("://")
        password = rest.rpartition("@")[0].partition(":")[2]
        # A password that is only a ${NAME} placeholder is no secret, and tells operators where it comes from.
        return self.url if _PLACEHOLDER.fullmatch(password) else redact_url(self.url)

    def public_dict(self) -> dict[str, Any]:
        """Everything about the target except secrets."""
        return {
            "name": self.name,
            "url": self.display_url,
            "schema": self.schema,
            "table": self.table,
            "columns": self.columns.as_dict(),
            "constants": dict(self.constants),
            "now_columns": list(self.now_columns),
            "priority_order": self.priority_order.value,
            "datetime_storage": self.datetime_storage.value,
            "window_days_back": self.window_days_back,
            "window_days_ahead": self.window_days_ahead,
            "enabled": self.enabled,
            "max_delete_share": self.max_delete_share,
            "chunk_size": self.chunk_size,
            "lock_timeout_seconds": self.lock_timeout_seconds,
            "sending_windows": [str(window) for window in self.sending_windows],
        }


def load_targets(path: str | Path, settings: Settings | None = None) -> dict[str, TargetSpec]:
    """Read and check the targets file. Window defaults come from the settings."""
    settings = settings or Settings()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TargetsFileError(f"targets file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TargetsFileError(f"targets file {path}: {exc}") from exc
    table = raw.get("targets")
    if not isinstance(table, dict) or not table:
        raise TargetsFileError(f"targets file {path}: no [targets.<name>] tables")
    return {name: _parse_target(name, body, settings) for name, body in table.items()}


def _parse_target(name: str, body: Any, settings: Settings) -> TargetSpec:
    where = f"targets.{name}"
    if not _TARGET_NAME.match(name):
        raise TargetsFileError(f"{where}: a target name is lower-case letters, digits, '-' or '_'")
    if not isinstance(body, dict):
        raise TargetsFileError(f"{where}: must be a table")
    known = {
        "url", "table", "schema", "columns", "constants", "now_columns", "priority_order", "datetime_storage",
        "window_days_back", "window_days_ahead", "enabled", "max_delete_share", "chunk_size",
        "lock_timeout_seconds", "sending_windows",
    }  # fmt: skip
    unknown = set(body) - known
    if unknown:
        raise TargetsFileError(f"{where}: unknown keys {sorted(unknown)}")
    for required in ("url", "table"):
        if not isinstance(body.get(required), str) or not body[required]:
            raise TargetsFileError(f"{where}.{required} is required")
    columns = body.get("columns", {})
    if not isinstance(columns, dict) or set(columns) - set(DELIVERY_FIELDS):
        raise TargetsFileError(f"{where}.columns: only {', '.join(DELIVERY_FIELDS)}")
    column_map = ColumnMap(**{k: str(v) for k, v in columns.items()})
    identifiers = [
        body["table"],
        *column_map.as_dict().values(),
        *body.get("constants", {}),
        *body.get("now_columns", []),
    ]
    if body.get("schema"):
        identifiers.append(body["schema"])
    for identifier in identifiers:
        if not isinstance(identifier, str) or not _IDENTIFIER.match(identifier):
            raise TargetsFileError(f"{where}: {identifier!r} is not a plain SQL identifier")
    try:
        spec = TargetSpec(
            name=name,
            url=body["url"],
            table=body["table"],
            schema=body.get("schema") or None,
            columns=column_map,
            constants=dict(body.get("constants", {})),
            now_columns=tuple(body.get("now_columns", ())),
            priority_order=PriorityOrder(body.get("priority_order", PriorityOrder.TOP_IS_ONE.value)),
            datetime_storage=DatetimeStorage(body.get("datetime_storage", DatetimeStorage.NAIVE_LOCAL.value)),
            window_days_back=int(body.get("window_days_back", settings.window_days_back)),
            window_days_ahead=int(body.get("window_days_ahead", settings.window_days_ahead)),
            enabled=bool(body.get("enabled", True)),
            max_delete_share=float(body["max_delete_share"]) if "max_delete_share" in body else None,
            chunk_size=int(body.get("chunk_size", 1000)),
            lock_timeout_seconds=int(body.get("lock_timeout_seconds", 60)),
            sending_windows=_sending_windows(body.get("sending_windows", [])),
        )
    except (TypeError, ValueError) as exc:
        raise TargetsFileError(f"{where}: {exc}") from exc
    if spec.window_days_back < 0 or spec.window_days_ahead < 0:
        raise TargetsFileError(f"{where}: window days cannot be negative")
    if spec.chunk_size < 1:
        raise TargetsFileError(f"{where}.chunk_size must be at least 1")
    if spec.lock_timeout_seconds < 1:
        raise TargetsFileError(f"{where}.lock_timeout_seconds must be at least 1")
    if spec.max_delete_share is not None and not 0 < spec.max_delete_share <= 1:
        raise TargetsFileError(f"{where}.max_delete_share must be in (0, 1]")
    written = [*column_map.as_dict().values(), *spec.constants, *spec.now_columns]
    repeated = sorted({name for name in written if written.count(name) > 1})
    if repeated:
        raise TargetsFileError(
            f"{where}: columns written twice (delivery, constants, now_columns): {repeated}"
        )
    return spec


def _sending_windows(raw: Any) -> tuple[SendingWindow, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValueError('sending_windows is a list of "HH:MM-HH:MM" strings')
    return tuple(sorted(SendingWindow.parse(item) for item in raw))


def target_names(settings: Settings) -> tuple[str, ...]:
    """The targets a banner can be scheduled for: from the targets file when there is one."""
    if settings.targets_file:
        return tuple(load_targets(settings.targets_file, settings))
    return settings.target_names
