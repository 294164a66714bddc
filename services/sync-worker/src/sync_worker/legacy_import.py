"""Import the rows already in a delivery table into the banner database as banners and schedule entries."""

from __future__ import annotations

import datetime as dt
import decimal
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, Engine, Select, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from banner_common.delivery import DayWindow, PriorityOrder, day_start
from banner_common.links import LinkRejected, check_link_url
from banner_common.models import (
    APPROVED,
    BANNER_IMPORTED,
    AuditEvent,
    Banner,
    ScheduleChange,
    ScheduleDay,
    ScheduleEntry,
    utcnow,
)
from banner_common.targets import DatetimeStorage
from sync_worker.target_table import TargetTable

IMPORT_REASON = "legacy import"
TITLE_PREFIX = "[imported] "
URL_MAX_LENGTH = 2048  # the banner columns' length
TITLE_MAX_LENGTH = 200
MAX_DAYS_PER_ROW = 400  # a longer legacy row is a typo (a wrong year), not a banner
READ_BATCH = 5000
WRITE_CHUNK = 2000
_CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
UNKNOWN_CONTENT_TYPE = "application/octet-stream"

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ImportRules:
    """What a legacy row must satisfy, from the target's spec and the settings."""

    target: TargetTable
    link_max_length: int
    allowed_hosts: tuple[str, ...]
    since: dt.date | None = None
    max_banners_per_day: int | None = None  # days above it are imported as delivered, and reported


@dataclass(frozen=True)
class MappedRow:
    image_url: str
    link_url: str
    priority: int
    first_day: dt.date
    last_day: dt.date
    widened: bool  # the row started or ended inside a day; Mailbanner delivers whole days


@dataclass(frozen=True)
class RejectedRow:
    number: int  # 1-based, in the order rows were read (start, priority, image, link)
    shown: str
    reason: str


@dataclass
class ImportReport:
    target: str
    dry_run: bool
    rows_read: int = 0
    rows_mapped: int = 0
    rows_widened: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    duplicates: int = 0  # the same banner twice on one day: imported once
    days_over_limit: list[tuple[dt.date, int]] = field(default_factory=list)  # (day, banners)
    days_found: int = 0
    days_already_planned: int = 0  # days the banner database schedules already: left as they are
    days_imported: int = 0
    banners_created: int = 0
    banners_reused: int = 0
    entries_created: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    change_id: int | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_rejected": len(self.rejected),
            "rows_widened": self.rows_widened,
            "duplicates": self.duplicates,
            "days_over_limit": len(self.days_over_limit),
            "days_imported": self.days_imported,
            "days_already_planned": self.days_already_planned,
            "banners_created": self.banners_created,
            "banners_reused": self.banners_reused,
            "entries_created": self.entries_created,
        }


class _UrlChecks:
    """URL rules, remembered per distinct URL: years of history repeat the same few hundred URLs."""

    def __init__(self, rules: ImportRules) -> None:
        self._rules = rules
        self._images: dict[str, str | LinkRejected] = {}
        self._links: dict[str, str | LinkRejected] = {}

    @staticmethod
    def _check(cache: dict[str, str | LinkRejected], url: str, check: Callable[[str], str]) -> str:
        found = cache.get(url)
        if found is None:
            try:
                found = check(url)
            except LinkRejected as exc:
                found = exc
            cache[url] = found
        if isinstance(found, LinkRejected):
            raise found
        return found

    def image(self, url: str) -> str:
        return self._check(self._images, url, lambda u: check_link_url(u, max_length=URL_MAX_LENGTH))

    def link(self, url: str) -> str:
        rules = self._rules
        limit = min(rules.link_max_length, URL_MAX_LENGTH)
        return self._check(
            self._links, url, lambda u: check_link_url(u, max_length=limit, allowed_hosts=rules.allowed_hosts)
        )


def _aware(value: Any, what: str, target: TargetTable) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        raise ValueError(f"{what} {value!r} is not a date-time")
    if moment.tzinfo is None:
        stored_in = target.tz if target.spec.datetime_storage is DatetimeStorage.NAIVE_LOCAL else dt.UTC
        moment = moment.replace(tzinfo=stored_in)
    return moment.astimezone(target.tz)


def _priority(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float | decimal.Decimal) and value == int(value):
        return int(value)
    raise ValueError(f"priority {value!r} is not a whole number")


def map_row(values: Sequence[Any], rules: ImportRules, urls: _UrlChecks) -> MappedRow | str | None:
    """A legacy row as the banner and days it stands for; the reason when it cannot be mapped.

    None: the row ends before `since`.
    """
    image, link, priority, start, end = values
    for name, value in (("image URL", image), ("link URL", link), ("priority", priority)):
        if value is None:
            return f"{name} is empty"
    if start is None or end is None:
        return "start or end is empty"
    try:
        image_url = urls.image(str(image))
    except LinkRejected as exc:
        return f"image URL: {exc}"
    try:
        link_url = urls.link(str(link))
    except LinkRejected as exc:
        return f"link URL: {exc}"
    try:
        rank = _priority(priority)
        start_at, end_at = _aware(start, "start", rules.target), _aware(end, "end", rules.target)
    except ValueError as exc:
        return str(exc)
    if end_at <= start_at:
        return f"ends ({end}) before or when it starts ({start})"
    tz = rules.target.tz
    first, last = start_at.date(), (end_at - dt.timedelta(microseconds=1)).date()
    if (last - first).days + 1 > MAX_DAYS_PER_ROW:
        return f"covers {(last - first).days + 1} days; at most {MAX_DAYS_PER_ROW} are imported from one row"
    widened = start_at != day_start(first, tz) or end_at != day_start(last + dt.timedelta(days=1), tz)
    if rules.since is not None:
        first = max(first, rules.since)
        if first > last:
            return None
    return MappedRow(image_url, link_url, rank, first, last, widened)


def _legacy_filter(target: TargetTable, since: dt.date | None) -> list[ColumnElement[bool]]:
    if since is None:
        return []
    return [target.table.c[target.spec.columns.end_at] > target.stored(day_start(since, target.tz))]


def _legacy_select(target: TargetTable, since: dt.date | None) -> Select[Any]:
    names = target.spec.columns
    columns = target.table.c
    fields = (names.image_url, names.link_url, names.priority, names.start_at, names.end_at)
    return (
        select(*(columns[name] for name in fields))
        .where(*_legacy_filter(target, since))
        .order_by(
            columns[names.start_at],
            columns[names.priority],
            columns[names.image_url],
            columns[names.link_url],
        )
    )


def count_legacy_rows(engine: Engine, target: TargetTable, since: dt.date | None) -> int:
    """How many rows an import would read (for a progress bar)."""
    # Not a count over _legacy_select: SQL Server refuses ORDER BY in a subquery.
    query = select(func.count()).select_from(target.table).where(*_legacy_filter(target, since))
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def read_legacy_rows(engine: Engine, target: TargetTable, since: dt.date | None) -> Iterator[Sequence[Any]]:
    """The target's rows (image, link, priority, start, end), streamed in batches."""
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=READ_BATCH).execute(_legacy_select(target, since))
        for partition in result.partitions():
            yield from (tuple(row) for row in partition)


@dataclass
class DayPlan:
    """The banners of one imported day, top first."""

    day: dt.date
    banners: list[tuple[str, str]]


def plan_days(
    rows: Iterable[Sequence[Any]], rules: ImportRules, report: ImportReport, progress: Progress | None = None
) -> list[DayPlan]:
    """Map every legacy row and order each day's banners by the legacy priority (ties: read order)."""
    urls = _UrlChecks(rules)
    candidates: dict[dt.date, list[tuple[int, int, str, str]]] = defaultdict(list)
    top_is_one = rules.target.spec.priority_order is PriorityOrder.TOP_IS_ONE
    for number, values in enumerate(rows, start=1):
        report.rows_read = number
        if progress is not None and number % 1000 == 0:
            progress(1000)
        mapped = map_row(values, rules, urls)
        if mapped is None:
            continue
        if isinstance(mapped, str):
            shown = " | ".join(str(value) for value in values)
            report.rejected.append(RejectedRow(number, shown[:300], mapped))
            continue
        report.rows_mapped += 1
        report.rows_widened += mapped.widened
        rank = mapped.priority if top_is_one else -mapped.priority
        for day in DayWindow(mapped.first_day, mapped.last_day).days():
            candidates[day].append((rank, number, mapped.image_url, mapped.link_url))
    if progress is not None:
        progress(report.rows_read % 1000)
    plans: list[DayPlan] = []
    for day in sorted(candidates):
        seen: set[tuple[str, str]] = set()
        banners: list[tuple[str, str]] = []
        for _rank, _number, image_url, link_url in sorted(candidates[day]):
            if (image_url, link_url) in seen:
                report.duplicates += 1
                continue
            seen.add((image_url, link_url))
            banners.append((image_url, link_url))
        if rules.max_banners_per_day is not None and len(banners) > rules.max_banners_per_day:
            # What the legacy table delivered is imported as it is: dropping banners would change what
            # goes out on cut-over day. Planners see the list and thin those days themselves.
            report.days_over_limit.append((day, len(banners)))
        plans.append(DayPlan(day, banners))
    report.days_found = len(plans)
    return plans


def derive_title(image_url: str, link_url: str) -> str:
    image = urlsplit(image_url)
    name = PurePosixPath(image.path).name or image.hostname or image_url
    return f"{TITLE_PREFIX}{name} → {urlsplit(link_url).hostname or link_url}"[:TITLE_MAX_LENGTH]


def content_type_of(image_url: str) -> str:
    return _CONTENT_TYPES.get(PurePosixPath(urlsplit(image_url).path).suffix.lower(), UNKNOWN_CONTENT_TYPE)


def _chunks(items: Sequence[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, WRITE_CHUNK)):
        yield chunk


def _banner_ids(session: Session) -> dict[tuple[str, str], int]:
    """Every banner by (image URL, link URL); an unarchived one wins over an archived one."""
    ids: dict[tuple[str, str], int] = {}
    rows = session.execute(
        select(Banner.image_url, Banner.link_url, Banner.id).order_by(Banner.archived, Banner.id)
    )
    for image_url, link_url, banner_id in rows:
        ids.setdefault((image_url, link_url), banner_id)
    return ids


def _planned_days(session: Session, target: str, first: dt.date, last: dt.date) -> set[dt.date]:
    return set(
        session.scalars(
            select(ScheduleEntry.date)
            .where(ScheduleEntry.target == target, ScheduleEntry.date >= first, ScheduleEntry.date <= last)
            .distinct()
        )
    )


def _banner_row(
    image_url: str, link_url: str, campaign_type: str, note: str, now: dt.datetime
) -> dict[str, Any]:
    return {
        "title": derive_title(image_url, link_url),
        "image_url": image_url,
        "image_key": None,  # the image stays where the legacy table points
        "image_width": 0,
        "image_height": 0,
        "image_content_type": content_type_of(image_url),
        "image_bytes": 0,
        "link_url": link_url,
        "campaign_type": campaign_type,
        "notes": note,
        "source": BANNER_IMPORTED,
        "archived": False,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def write_plan(
    session: Session,
    plans: Sequence[DayPlan],
    report: ImportReport,
    *,
    campaign_type: str,
    actor: str,
    now: dt.datetime,
) -> None:
    """Add the days the banner database does not schedule yet, in the caller's transaction.

    A day already holding entries for the target is left exactly as it is: a second import adds nothing,
    and an import never reorders what a planner made. Dry runs stop before the first write.
    """
    target = report.target
    if not plans:
        return
    planned = _planned_days(session, target, plans[0].day, plans[-1].day)
    new_days = [plan for plan in plans if plan.day not in planned]
    report.days_already_planned = len(plans) - len(new_days)
    report.days_over_limit = [(day, count) for day, count in report.days_over_limit if day not in planned]
    report.days_imported = len(new_days)
    if not new_days:
        return
    report.first_day, report.last_day = new_days[0].day, new_days[-1].day
    needed = {banner for plan in new_days for banner in plan.banners}
    ids = _banner_ids(session)
    missing = sorted(needed - set(ids))
    report.banners_created, report.banners_reused = len(missing), len(needed) - len(missing)
    report.entries_created = sum(len(plan.banners) for plan in new_days)
    if report.dry_run:
        return
    note = (
        f"Imported from the delivery table of target {target} on {now:%Y-%m-%d} (mailbanner import-legacy)."
    )
    for chunk in _chunks([_banner_row(image, link, campaign_type, note, now) for image, link in missing]):
        session.execute(insert(Banner), chunk)
    if missing:
        ids = _banner_ids(session)
    entries = [
        {
            "banner_id": ids[(image_url, link_url)],
            "date": plan.day,
            "target": target,
            "position": position,
            "created_at": now,
            "updated_at": now,
            # What the delivery table holds is what was delivered: the import arrives approved.
            "approval": APPROVED,
            "changed_by": "",
            "approved_by": actor,
            "approved_at": now,
            "approved_position": position,
            "approved_image_url": image_url,
            "approved_link_url": link_url,
        }
        for plan in new_days
        for position, (image_url, link_url) in enumerate(plan.banners, start=1)
    ]
    for chunk in _chunks(entries):
        session.execute(insert(ScheduleEntry), chunk)
    _bump_days(session, target, [plan.day for plan in new_days], now)
    change = ScheduleChange(
        targets=target,
        first_day=report.first_day,
        last_day=report.last_day,
        reason=IMPORT_REASON,
        committed_at=now,
    )
    session.add(change)
    session.add(
        AuditEvent(
            actor=actor,
            action="legacy.import",
            object_type="target",
            object_id=target,
            before=None,
            after=report.summary(),
            request_id="",
            first_day=report.first_day,
            last_day=report.last_day,
            campaign_types=f",{campaign_type},",
        )
    )
    session.flush()
    report.change_id = change.id


def _bump_days(session: Session, target: str, days: Sequence[dt.date], now: dt.datetime) -> None:
    """Move the version of each imported day, so an If-Match taken before the import is refused."""
    existing = set(
        session.scalars(
            select(ScheduleDay.date).where(
                ScheduleDay.target == target, ScheduleDay.date >= days[0], ScheduleDay.date <= days[-1]
            )
        )
    )
    bumped = [day for day in days if day in existing]
    for start in range(0, len(bumped), WRITE_CHUNK):
        session.execute(
            update(ScheduleDay)
            .where(ScheduleDay.target == target, ScheduleDay.date.in_(bumped[start : start + WRITE_CHUNK]))
            .values(version=ScheduleDay.version + 1, updated_at=now),
            execution_options={"synchronize_session": False},
        )
    fresh = [
        {"date": day, "target": target, "version": 1, "updated_at": now}
        for day in days
        if day not in existing
    ]
    for chunk in _chunks(fresh):
        session.execute(insert(ScheduleDay), chunk)


def import_legacy(
    target_engine: Engine,
    banner_sessions: sessionmaker[Session],
    rules: ImportRules,
    *,
    campaign_type: str,
    actor: str,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> ImportReport:
    """Read the target's rows and add what they deliver to the banner database in one transaction."""
    report = ImportReport(target=rules.target.spec.name, dry_run=dry_run)
    plans = plan_days(read_legacy_rows(target_engine, rules.target, rules.since), rules, report, progress)
    with banner_sessions() as session:
        try:
            write_plan(session, plans, report, campaign_type=campaign_type, actor=actor, now=now or utcnow())
        except BaseException:
            session.rollback()
            raise
        if dry_run:
            session.rollback()  # nothing was written; this only ends the reading transaction
        else:
            session.commit()
    return report
