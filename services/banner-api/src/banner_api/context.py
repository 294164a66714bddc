"""What a request needs, built once by create_app() and reached through current_app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_request_context
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from banner_api.publish import CeleryPublisher, NullPublisher, PublishStats
from banner_api.storage import ImageStorage
from banner_api.uow import UnitOfWork
from banner_common.settings import Settings

if TYPE_CHECKING:
    from banner_api.read_cache import ReadCache


@dataclass
class AppServices:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    storage: ImageStorage
    publisher: CeleryPublisher | NullPublisher
    celery: Any | None
    target_names: tuple[str, ...]
    read_cache: ReadCache | None = None

    @property
    def publish_stats(self) -> PublishStats:
        return self.publisher.stats

    def unit_of_work(self) -> UnitOfWork:
        request_id = g.get("request_id") if has_request_context() else None
        return UnitOfWork(self.session_factory, self.publisher, request_id)


def services() -> AppServices:
    found: AppServices = current_app.extensions["mailbanner"]
    return found
