"""Banner use cases: register, read, edit, archive, restore and search, each in one unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.http import parse_etags

from banner_api.audit.record import banner_state, record
from banner_api.auth.current import current_principal
from banner_api.auth.scope import sees_banner, visible_banners
from banner_api.banners.imaging import ImageInfo, ImageRejected, inspect_image
from banner_api.context import AppServices
from banner_api.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    field_error,
)
from banner_api.schedule.changes import DayChange, banner_days
from banner_api.schedule.days import remove_entries
from banner_common.delivery import today_in
from banner_common.links import LinkRejected, check_link_url
from banner_common.models import Banner, RetiredImage, ScheduleEntry, utcnow

# Ids beyond a 32-bit integer cannot exist; asking the database about them would be an error, not a miss.
MAX_ID = 2_147_483_647


@dataclass(frozen=True)
class UploadedImage:
    filename: str
    data: bytes


@dataclass(frozen=True)
class BannerFields:
    """Text fields of a banner; None means "not given" (only allowed when editing)."""

    title: str | None = None
    link_url: str | None = None
    campaign_type: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class BannerSearch:
    q: str | None = None
    campaign_type: str | None = None
    archived: str = "false"
    scheduled_from: dt.date | None = None
    scheduled_to: dt.date | None = None
    target: str | None = None
    sort: str = "-created_at"
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class BannerPage:
    items: Sequence[Banner]
    total: int
    limit: int
    offset: int


def etag(banner: Banner) -> str:
    return f'"{banner.version}"'


def register_banner(
    svc: AppServices, fields: BannerFields, image: UploadedImage, *, location: str = "form"
) -> Banner:
    """Validate everything, store the image, then write the row; a failed write leaves no file behind."""
    checked = _checked_fields(svc, fields, location)
    info = _checked_image(svc, image)
    key = svc.storage.save(image.data, info.extension)
    committed = False
    try:
        with svc.unit_of_work() as uow:
            banner = Banner(
                title=checked.title,
                link_url=checked.link_url,
                campaign_type=checked.campaign_type,
                notes=checked.notes or "",
                archived=False,
            )
            _apply_image(svc, banner, key, info)
            uow.session.add(banner)
            uow.session.flush()
            record(
                uow.session,
                "banner.create",
                "banner",
                banner.id,
                None,
                banner_state(banner),
                campaign_types=[banner.campaign_type],
            )
            uow.commit()
            committed = True
            return banner
    finally:
        if not committed:
            svc.storage.delete(key)


def get_banner(svc: AppServices, banner_id: int) -> Banner:
    with svc.unit_of_work() as uow:
        return _load(uow.session, banner_id)


def update_banner(
    svc: AppServices,
    banner_id: int,
    if_match: str | None,
    fields: BannerFields,
    image: UploadedImage | None,
    *,
    location: str,
) -> Banner:
    """Apply the given fields (and image) if the client saw the current version."""
    checked = _checked_fields(svc, fields, location)
    info = _checked_image(svc, image) if image is not None else None
    with svc.unit_of_work() as uow:
        banner = _load(uow.session, banner_id)
        _require_current(banner, if_match)
        before = banner_state(banner)
        old_key = banner.image_key
        days = DayChange(uow.session, banner_days(uow.session, banner.id), "banner.update")
        new_key = svc.storage.save(image.data, info.extension) if image is not None and info else None
        committed = False
        try:
            delivery_changed = _assign(banner, checked)
            if new_key is not None and info is not None:
                _apply_image(svc, banner, new_key, info)
                if old_key is not None:
                    # Newsletters already sent show the old URL: its file stays until pruned.
                    uow.session.merge(RetiredImage(key=old_key, retired_at=utcnow()))
                delivery_changed = True
            if delivery_changed:
                _record_delivery_change(uow.session, uow.record_change, banner.id, "banner_updated")
                days.finish(approval_required=svc.settings.approval_required)
            uow.session.flush()
            record(
                uow.session,
                "banner.update",
                "banner",
                banner.id,
                before,
                banner_state(banner),
                campaign_types=[before["campaign_type"], banner.campaign_type],
            )
            uow.commit()
            committed = True
        except StaleDataError as exc:
            raise _stale(banner_id) from exc
        finally:
            if new_key is not None and not committed:
                svc.storage.delete(new_key)
    return banner


def archive_banner(svc: AppServices, banner_id: int, *, force: bool, if_match: str | None = None) -> Banner:
    """Soft-delete a banner. Upcoming schedule entries block it, unless forced, which removes them."""
    with svc.unit_of_work() as uow:
        banner = _load(uow.session, banner_id)
        if if_match is not None:
            _require_current(banner, if_match)
        if banner.archived:
            return banner
        before = banner_state(banner)
        today = today_in(svc.settings.tz)
        upcoming = uow.session.scalars(
            select(ScheduleEntry)
            .where(ScheduleEntry.banner_id == banner.id, ScheduleEntry.date >= today)
            .order_by(ScheduleEntry.date, ScheduleEntry.target)
        ).all()
        if upcoming and not force:
            raise _still_scheduled(banner.id, upcoming)
        if upcoming:
            change = DayChange(
                uow.session, {(entry.date, entry.target) for entry in upcoming}, "banner.archive"
            )
            days = remove_entries(uow.session, upcoming)
            uow.record_change(
                (target for _, target in days), days[0][0], max(day for day, _ in days), "banner_archived"
            )
            change.finish(approval_required=svc.settings.approval_required)
        banner.archived = True
        banner.archived_at = utcnow()
        _record_banner(uow.session, "banner.archive", banner, before)
        _commit_versioned(uow.commit, banner_id)
        return banner


def restore_banner(svc: AppServices, banner_id: int) -> Banner:
    with svc.unit_of_work() as uow:
        banner = _load(uow.session, banner_id)
        if banner.archived:
            before = banner_state(banner)
            banner.archived = False
            banner.archived_at = None
            _record_banner(uow.session, "banner.restore", banner, before)
            _commit_versioned(uow.commit, banner_id)
        return banner


def search_banners(svc: AppServices, search: BannerSearch) -> BannerPage:
    """One page of the banners matching every given filter, with the total count, both done in SQL."""
    conditions = _search_conditions(svc, search)
    with svc.unit_of_work() as uow:
        total = uow.session.scalar(select(func.count(Banner.id)).where(*conditions)) or 0
        items = uow.session.scalars(
            select(Banner)
            .where(*conditions)
            .order_by(*_ordering(search.sort))
            .limit(search.limit)
            .offset(search.offset)
        ).all()
    return BannerPage(items=items, total=total, limit=search.limit, offset=search.offset)


def _load(session: Session, banner_id: int) -> Banner:
    banner = session.get(Banner, banner_id) if 0 < banner_id <= MAX_ID else None
    # Outside the caller's campaign types a banner answers exactly as a missing one: nothing leaks by id.
    if banner is None or not sees_banner(banner):
        raise NotFound(f"banner {banner_id} does not exist")
    return banner


def _record_banner(session: Session, action: str, banner: Banner, before: dict[str, Any]) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise _stale(banner.id) from exc
    after = banner_state(banner)
    # The version moves on at flush; the row records the version the change produced.
    record(session, action, "banner", banner.id, before, after, campaign_types=[banner.campaign_type])


def _require_current(banner: Banner, if_match: str | None) -> None:
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            f'send If-Match: "{banner.version}" (the ETag you last read) to change banner {banner.id}'
        )
    if not parse_etags(if_match).contains_weak(str(banner.version)):
        raise _stale(banner.id, banner.version)


def _stale(banner_id: int, version: int | None = None) -> PreconditionFailed:
    current = f" (it is now version {version})" if version is not None else ""
    return PreconditionFailed(f"banner {banner_id} was changed by someone else{current}; reload and retry")


def _commit_versioned(commit: Callable[[], None], banner_id: int) -> None:
    try:
        commit()
    except StaleDataError as exc:
        raise _stale(banner_id) from exc


def _checked_fields(svc: AppServices, fields: BannerFields, location: str) -> BannerFields:
    """Apply the rules that depend on settings, reporting every field at fault at once."""
    settings = svc.settings
    errors: dict[str, list[str]] = {}
    link_url = fields.link_url
    if link_url is not None:
        try:
            link_url = check_link_url(
                link_url, max_length=settings.link_max_length, allowed_hosts=settings.link_allowed_hosts
            )
        except LinkRejected as exc:
            errors["link_url"] = [str(exc)]
    if fields.campaign_type is not None and fields.campaign_type not in settings.campaign_types:
        errors["campaign_type"] = [_unknown_campaign_type(fields.campaign_type, settings.campaign_types)]
    if errors:
        raise ValidationFailed(f"invalid {', '.join(errors)}", errors, location)
    if fields.campaign_type is not None and not current_principal().sees_campaign_type(fields.campaign_type):
        raise Forbidden(
            f"campaign type {fields.campaign_type!r} is outside your scope",
            {"campaign_type": ["outside your scope"]},
            location,
        )
    return BannerFields(
        title=fields.title, link_url=link_url, campaign_type=fields.campaign_type, notes=fields.notes
    )


def _unknown_campaign_type(value: str, allowed: Sequence[str]) -> str:
    return f"{value!r} is not a campaign type; use one of: {', '.join(allowed)}"


def _checked_image(svc: AppServices, image: UploadedImage) -> ImageInfo:
    try:
        return inspect_image(image.data, image.filename, svc.settings)
    except ImageRejected as exc:
        raise field_error("image", str(exc), "files") from exc


def _apply_image(svc: AppServices, banner: Banner, key: str, info: ImageInfo) -> None:
    banner.image_key = key
    banner.image_url = svc.storage.url_for(key)
    banner.image_width = info.width
    banner.image_height = info.height
    banner.image_content_type = info.content_type
    banner.image_bytes = info.byte_size


def _assign(banner: Banner, fields: BannerFields) -> bool:
    """Copy the given fields onto the banner; True if the link (which delivery rows carry) changed."""
    link_changed = fields.link_url is not None and fields.link_url != banner.link_url
    if fields.title is not None:
        banner.title = fields.title
    if fields.link_url is not None:
        banner.link_url = fields.link_url
    if fields.campaign_type is not None:
        banner.campaign_type = fields.campaign_type
    if fields.notes is not None:
        banner.notes = fields.notes
    return link_changed


RecordChange = Callable[[Iterable[str], dt.date, dt.date, str], None]


def _record_delivery_change(session: Session, record: RecordChange, banner_id: int, reason: str) -> None:
    targets = session.scalars(
        select(ScheduleEntry.target).where(ScheduleEntry.banner_id == banner_id).distinct()
    ).all()
    if not targets:
        return
    first, last = session.execute(
        select(func.min(ScheduleEntry.date), func.max(ScheduleEntry.date)).where(
            ScheduleEntry.banner_id == banner_id
        )
    ).one()
    record(targets, first, last, reason)


def _still_scheduled(banner_id: int, upcoming: Sequence[ScheduleEntry]) -> Conflict:
    listed = [f"{entry.date.isoformat()} ({entry.target})" for entry in upcoming]
    dates = sorted({entry.date.isoformat() for entry in upcoming})
    message = (
        f"banner {banner_id} is scheduled on {len(dates)} upcoming day(s): {', '.join(dates)}; "
        "remove those entries first, or archive with force=true to remove them"
    )
    return Conflict(message, {"force": listed}, "query")


def _search_conditions(svc: AppServices, search: BannerSearch) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = visible_banners()
    if search.archived == "false":
        conditions.append(Banner.archived.is_(False))
    elif search.archived == "true":
        conditions.append(Banner.archived.is_(True))
    if search.campaign_type is not None:
        if search.campaign_type not in svc.settings.campaign_types:
            raise field_error(
                "campaign_type",
                _unknown_campaign_type(search.campaign_type, svc.settings.campaign_types),
                "query",
            )
        conditions.append(Banner.campaign_type == search.campaign_type)
    for term in (search.q or "").lower().split():
        conditions.append(
            or_(
                func.lower(Banner.title).contains(term, autoescape=True),
                func.lower(Banner.link_url).contains(term, autoescape=True),
            )
        )
    if search.target is not None and search.target not in svc.target_names:
        raise field_error(
            "target", f"{search.target!r} is not a target; use one of: {', '.join(svc.target_names)}", "query"
        )
    entry_filters: list[ColumnElement[bool]] = []
    if search.scheduled_from is not None:
        entry_filters.append(ScheduleEntry.date >= search.scheduled_from)
    if search.scheduled_to is not None:
        entry_filters.append(ScheduleEntry.date <= search.scheduled_to)
    if search.target is not None:
        entry_filters.append(ScheduleEntry.target == search.target)
    if entry_filters:
        conditions.append(exists().where(and_(ScheduleEntry.banner_id == Banner.id, *entry_filters)))
    return conditions


def _ordering(sort: str) -> list[UnaryExpression[Any]]:
    key = sort.lstrip("-")
    columns: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
        "id": Banner.id,
        "title": func.lower(Banner.title),
        "created_at": Banner.created_at,
        "updated_at": Banner.updated_at,
    }
    column = columns[key]
    if sort.startswith("-"):
        return [column.desc(), Banner.id.desc()]
    return [column.asc(), Banner.id.asc()]
