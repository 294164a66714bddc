"""Composition root of the worker: the banner database and one engine per delivery target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from banner_common.db import make_engine, make_session_factory
from banner_common.settings import Settings
from banner_common.targets import TargetSpec, load_targets
from sync_worker.dialects import dialect_for


@dataclass(frozen=True)
class Runtime:
    """Everything a run needs, built once per process. Engines connect on first use, not here."""

    settings: Settings
    banner_engine: Engine
    banner_sessions: sessionmaker[Session]
    targets: dict[str, TargetSpec]
    target_engines: dict[str, Engine]

    def dispose(self) -> None:
        for engine in {id(engine): engine for engine in self.target_engines.values()}.values():
            engine.dispose()
        self.banner_engine.dispose()


def make_target_engine(spec: TargetSpec, environ: Mapping[str, str] | None = None) -> Engine:
    """An engine for a target, with its dialect's options (e.g. fast_executemany for SQL Server)."""
    url = make_url(spec.resolved_url(environ))
    return make_engine(url.render_as_string(hide_password=False), **dialect_for(url).engine_options(url))


def build_runtime(settings: Settings, targets: Mapping[str, TargetSpec]) -> Runtime:
    """A runtime for the given target specs (bootstrap reads them from the targets file).

    Targets on the same database (same resolved URL, e.g. tables in different schemas) share one
    engine and its pool, so a process holds connections per server, not per target.
    """
    banner_engine = make_engine(settings.database_url)
    by_url: dict[str, Engine] = {}
    target_engines = {}
    for name, spec in targets.items():
        url = spec.resolved_url()
        if url not in by_url:
            by_url[url] = make_target_engine(spec)
        target_engines[name] = by_url[url]
    return Runtime(
        settings=settings,
        banner_engine=banner_engine,
        banner_sessions=make_session_factory(banner_engine),
        targets=dict(targets),
        target_engines=target_engines,
    )


def bootstrap(settings: Settings) -> Runtime:
    """The worker's runtime: targets from MAILBANNER_TARGETS_FILE (none when it is not set)."""
    targets = load_targets(settings.targets_file, settings) if settings.targets_file else {}
    return build_runtime(settings, targets)
