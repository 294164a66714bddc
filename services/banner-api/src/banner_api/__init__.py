"""Mailbanner banner API: the Flask application factory."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from flask import Flask, Response, g, request
from sqlalchemy.orm import Session, sessionmaker

from banner_api.annotations import models as _annotation_models  # noqa: F401 -- the table, on Base
from banner_api.auth.guard import install_gate
from banner_api.auth.oidc import OidcVerifier
from banner_api.context import AppServices
from banner_api.errors import JsonErrorApi, register_error_handlers
from banner_api.fields import ID_MAX, RowIdConverter
from banner_api.input_guard import install_input_guard
from banner_api.publish import CeleryPublisher, NullPublisher, make_celery_client
from banner_api.read_cache import make_read_cache
from banner_api.storage import ImageStorage, LocalImageStorage
from banner_common.db import make_engine, make_session_factory
from banner_common.logging import configure_logging
from banner_common.settings import Settings
from banner_common.targets import target_names

API_VERSION = "0.1.0"


def create_app(
    settings: Settings | None = None,
    *,
    storage: ImageStorage | None = None,
    publisher: CeleryPublisher | NullPublisher | None = None,
) -> Flask:
    """Build the API. Settings come from the environment unless given; nothing connects until a request."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_json)
    app = Flask(__name__)
    app.url_map.converters["int"] = RowIdConverter  # before any route: ids beyond the columns are 404
    app.config.update(
        API_TITLE="Mailbanner API",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        # Above the image limit, so an upload a little too large still reaches the validator, which names
        # the field; settings refuse a request limit at or below the image limit.
        MAX_CONTENT_LENGTH=settings.request_max_bytes,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    engine = make_engine(settings.database_url)
    celery_client = None
    if publisher is None:
        if settings.events_enabled:
            celery_client = make_celery_client(settings.redis_url, settings.publish_timeout_seconds)
            publisher = CeleryPublisher(celery_client)
        else:
            publisher = NullPublisher()
    session_factory = make_session_factory(engine)
    app.extensions["mailbanner"] = AppServices(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        storage=storage or LocalImageStorage(settings.storage_path(), settings.image_base_url),
        publisher=publisher,
        celery=celery_client,
        target_names=target_names(settings),
        read_cache=make_read_cache(engine, settings.read_cache_mb),
    )
    _install_request_ids(app)
    install_input_guard(app)
    _install_metrics(app, session_factory, settings)
    install_gate(app, settings, session_factory, OidcVerifier(settings) if settings.oidc_issuer else None)
    register_error_handlers(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from banner_api import health, images
    from banner_api.annotations.resources import blp as annotations_blp
    from banner_api.approvals.resources import blp as approvals_blp
    from banner_api.audit.resources import blp as audit_blp
    from banner_api.auth.resources import blp as accounts_blp
    from banner_api.banners.resources import blp as banners_blp
    from banner_api.console.resources import blp as console_blp
    from banner_api.kpis.resources import blp as kpis_blp
    from banner_api.preview.resources import blp as preview_blp
    from banner_api.schedule.resources import calendar_blp, schedule_blp
    from banner_api.sync.resources import blp as sync_blp

    api = JsonErrorApi(
        app, spec_kwargs={"info": {"description": "Schedule, order and preview newsletter banners."}}
    )
    api.register_converter(
        RowIdConverter, lambda _converter: {"type": "integer", "minimum": 0, "maximum": ID_MAX}
    )
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    blueprints = (
        banners_blp,
        schedule_blp,
        calendar_blp,
        preview_blp,
        approvals_blp,
        sync_blp,
        audit_blp,
        accounts_blp,
        kpis_blp,
        annotations_blp,
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    app.register_blueprint(health.blp)
    app.register_blueprint(images.blp)
    app.register_blueprint(console_blp)


def _install_metrics(app: Flask, session_factory: sessionmaker[Session], settings: Settings) -> None:
    # Imported here: prometheus_client decides single- or multi-process mode on its first metric.
    from banner_api.observability.collector import BannerStateCollector
    from banner_api.observability.http import install_metrics

    state = BannerStateCollector(session_factory, settings, target_names(settings))
    install_metrics(app, state, settings.metrics_token)


def _install_request_ids(app: Flask) -> None:
    @app.before_request
    def _bind_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def _unbind(_exc: Any) -> None:
        structlog.contextvars.clear_contextvars()
