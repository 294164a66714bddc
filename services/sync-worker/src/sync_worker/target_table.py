"""A delivery target's legacy table as SQLAlchemy sees it, and DeliveryRow <-> target row conversion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Date,
    Delete,
    Float,
    Insert,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Time,
    and_,
    delete,
    insert,
    select,
)
from sqlalchemy.types import TypeEngine

from banner_common.delivery import DayWindow, DeliveryRow
from banner_common.targets import ColumnMap, DatetimeStorage, TargetSpec
from sync_worker.dialects import Dialect

# (image_url, link_url, priority, start, end) with start/end naive, as the target stores them.
# Fields are optional because a row edited by hand in the target may hold NULLs.
RowKey = tuple[str | None, str | None, int | None, dt.datetime | None, dt.datetime | None]


def _constant_type(value: Any, datetime_type: TypeEngine[Any]) -> TypeEngine[Any]:
    """A bind type for a configured constant, from its TOML value."""
    if isinstance(value, bool):
        return Boolean()
    if isinstance(value, int):
        return Integer()
    if isinstance(value, float):
        return Float()
    if isinstance(value, dt.datetime):
        return datetime_type
    if isinstance(value, dt.date):
        return Date()
    if isinstance(value, dt.time):
        return Time()
    return String()


def to_storage(moment: dt.datetime, storage: DatetimeStorage, tz: ZoneInfo) -> dt.datetime:
    """An aware instant as the naive datetime the target stores (local wall time or UTC)."""
    if moment.tzinfo is None:
        raise ValueError("to_storage needs an aware datetime")
    zone: dt.tzinfo = tz if storage is DatetimeStorage.NAIVE_LOCAL else dt.UTC
    return moment.astimezone(zone).replace(tzinfo=None)


@dataclass(frozen=True)
class TargetTable:
    """One target's table plus what is needed to speak its datetime convention."""

    spec: TargetSpec
    table: Table
    tz: ZoneInfo

    @classmethod
    def for_spec(cls, spec: TargetSpec, tz: ZoneInfo, dialect: Dialect) -> TargetTable:
        """The table of a spec, its names as the dialect must see them (see Dialect.identifier)."""
        name = dialect.identifier
        spec = replace(
            spec,
            table=name(spec.table),
            schema=name(spec.schema) if spec.schema else None,
            columns=ColumnMap(**{field: name(column) for field, column in spec.columns.as_dict().items()}),
            constants={name(column): value for column, value in spec.constants.items()},
            now_columns=tuple(name(column) for column in spec.now_columns),
        )
        datetime_type = dialect.datetime_type()
        names = spec.columns
        columns: list[Column[Any]] = [
            Column(names.image_url, String()),
            Column(names.link_url, String()),
            Column(names.priority, Integer()),
            Column(names.start_at, datetime_type),
            Column(names.end_at, datetime_type),
            *(Column(name, _constant_type(value, datetime_type)) for name, value in spec.constants.items()),
            *(Column(name, datetime_type) for name in spec.now_columns),
        ]
        return cls(spec, Table(spec.table, MetaData(), *columns, schema=spec.schema), tz)

    def _column(self, name: str) -> Column[Any]:
        return self.table.c[name]

    def stored(self, moment: dt.datetime) -> dt.datetime:
        return to_storage(moment, self.spec.datetime_storage, self.tz)

    def window_bounds(self, window: DayWindow) -> tuple[dt.datetime, dt.datetime]:
        """Where the window starts and ends in the target's representation (end exclusive)."""
        start, end = window.bounds(self.tz)
        return self.stored(start), self.stored(end)

    def in_window(self, window: DayWindow) -> ColumnElement[bool]:
        start, end = self.window_bounds(window)
        start_column = self._column(self.spec.columns.start_at)
        return and_(start_column >= start, start_column < end)

    def select_window(self, window: DayWindow) -> Select[Any]:
        names = self.spec.columns
        fields = (names.image_url, names.link_url, names.priority, names.start_at, names.end_at)
        return select(*(self._column(name) for name in fields)).where(self.in_window(window))

    def delete_window(self, window: DayWindow) -> Delete:
        return delete(self.table).where(self.in_window(window))

    def insert(self) -> Insert:
        return insert(self.table)

    def keys_of(self, rows: Iterable[DeliveryRow]) -> list[RowKey]:
        # A window's rows share one start and one end per day: convert each instant once.
        stored: dict[dt.datetime, dt.datetime] = {}

        def once(moment: dt.datetime) -> dt.datetime:
            found = stored.get(moment)
            if found is None:
                found = stored[moment] = self.stored(moment)
            return found

        return [
            (row.image_url, row.link_url, row.priority, once(row.start_at), once(row.end_at)) for row in rows
        ]

    def key_from_target(self, values: Sequence[Any]) -> RowKey:
        """A row read by select_window() in the same shape as keys_of() (drivers differ in types)."""
        image_url, link_url, priority, start, end = values
        if (
            type(image_url) is str
            and type(link_url) is str
            and type(priority) is int
            and type(start) is dt.datetime
            and type(end) is dt.datetime
            and start.tzinfo is None
            and end.tzinfo is None
        ):
            return (image_url, link_url, priority, start, end)  # already the key's types: most drivers
        return (
            None if image_url is None else str(image_url),
            None if link_url is None else str(link_url),
            None if priority is None else int(priority),
            self._naive(start),
            self._naive(end),
        )

    def _naive(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return self.stored(value)
        return value

    def insert_params(self, keys: Iterable[RowKey], swapped_at: dt.datetime) -> list[dict[str, Any]]:
        """Parameter rows for the bulk INSERT: delivery fields, configured constants, now columns."""
        names = self.spec.columns
        extra: Mapping[str, Any] = {
            **self.spec.constants,
            **dict.fromkeys(self.spec.now_columns, self.stored(swapped_at)),
        }
        return [
            {
                names.image_url: image_url,
                names.link_url: link_url,
                names.priority: priority,
                names.start_at: start,
                names.end_at: end,
                **extra,
            }
            for image_url, link_url, priority, start, end in keys
        ]
