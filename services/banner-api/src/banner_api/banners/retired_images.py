"""Deleting replaced image files once newsletters sent with their URL are past the retention period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select, union

from banner_api.context import AppServices
from banner_common.models import Banner, RetiredImage, ScheduleEntry, utcnow


@dataclass
class PruneReport:
    deleted: list[str] = field(default_factory=list)
    still_used: list[str] = field(default_factory=list)  # an approved entry or a banner shows it again
    kept_until: dict[str, dt.datetime] = field(default_factory=dict)  # inside the retention period


def prune_retired_images(
    svc: AppServices, *, dry_run: bool = False, now: dt.datetime | None = None
) -> PruneReport:
    """Delete the files retired longer ago than the retention period that nothing shows any more.

    Files go before their rows: if the commit then fails, the next prune deletes nothing twice (a
    missing file is not an error) and forgets the rows.
    """
    moment = now or utcnow()
    retention = dt.timedelta(days=svc.settings.image_retention_days)
    report = PruneReport()
    with svc.session_factory() as session:
        retired = session.execute(select(RetiredImage.key, RetiredImage.retired_at)).all()
        in_use = set(
            session.scalars(
                union(
                    select(Banner.image_key).where(Banner.image_key.is_not(None)),
                    select(ScheduleEntry.approved_image_url).where(
                        ScheduleEntry.approved_image_url.is_not(None)
                    ),
                )
            )
        )
        expired: list[str] = []
        for key, retired_at in sorted(retired):
            if retired_at > moment - retention:
                report.kept_until[key] = retired_at + retention
            elif key in in_use or svc.storage.url_for(key) in in_use:
                report.still_used.append(key)
            else:
                expired.append(key)
        report.deleted = expired
        if dry_run or not expired:
            return report
        for key in expired:
            svc.storage.delete(key)
        session.execute(delete(RetiredImage).where(RetiredImage.key.in_(expired)))
        session.commit()
    return report
