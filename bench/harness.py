"""Real processes and databases for the benchmarks: Redis, the API under gunicorn, worker, beat, targets."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PIL import Image

from banner_api import migrate
from bench.databases import LEGACY_DDL, MARIADB_URL, POSTGRES_URL
from tests.brokers import free_port
from tests.processes import MAILBANNER, HttpApi, Redis, target_toml, wait_until

__all__ = [
    "LEGACY_DDL",
    "MARIADB_URL",
    "POSTGRES_URL",
    "Cluster",
    "HttpApi",
    "TargetDef",
    "cluster",
    "maria_database",
    "pg_schema",
    "png",
    "private_postgres",
    "register_banners",
    "wait_until",
]

LINK_HOST = "shop.bench.test"


@dataclass(frozen=True)
class TargetDef:
    """One delivery target of a benchmark: where its legacy table is and how to read it back."""

    name: str
    url: str
    table: str
    schema: str | None
    order: str  # "top_is_one" or "larger_is_top"
    back: int
    ahead: int

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}" if self.schema else self.table

    def toml(self) -> str:
        schema_line = f'schema = "{self.schema}"' if self.schema else ""
        return target_toml(
            name=self.name,
            url=self.url,
            schema_line=schema_line,
            table=self.table,
            order=self.order,
            back=self.back,
            ahead=self.ahead,
        )


@contextmanager
def pg_schema(admin_url: str = POSTGRES_URL, prefix: str = "mb_bench") -> Iterator[str]:
    """A PostgreSQL schema of its own, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@contextmanager
def maria_database(admin_url: str = MARIADB_URL, prefix: str = "mb_bench") -> Iterator[str]:
    """A MariaDB database of its own; yields its SQLAlchemy URL (pymysql)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


def with_search_path(url: str, schema: str) -> str:
    return f"{url}?options=-csearch_path%3D{schema}"


def create_legacy_table(url: str, qualified_table: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(LEGACY_DDL[engine.dialect.name].format(table=qualified_table))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class PrivatePostgres:
    url: str  # admin URL of database "postgres"
    port: int


@contextmanager
def private_postgres(max_connections: int) -> Iterator[PrivatePostgres]:
    """A throwaway PostgreSQL cluster, so a benchmark that opens hundreds of connections cannot starve
    the shared server others test against."""
    pg_bin = _pg_bin()
    directory = Path(tempfile.mkdtemp(prefix="mb_bench_pg_"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(directory, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = directory / "data"
    port = free_port()
    subprocess.run(
        [
            *as_postgres,
            str(pg_bin / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections={max_connections} "
        "-c shared_buffers=128MB"
    )
    subprocess.run(
        [
            *as_postgres,
            str(pg_bin / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(directory / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield PrivatePostgres(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", port)
    finally:
        subprocess.run(
            [*as_postgres, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(directory, ignore_errors=True)


def _pg_bin() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise RuntimeError("no PostgreSQL server binaries (initdb) found")
    return candidates[-1].parent


def png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 120), (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)).save(buffer, "PNG")
    return buffer.getvalue()


def banner_link(n: int) -> str:
    return f"https://{LINK_HOST}/b{n}"


def register_banners(api: HttpApi, count: int, campaign_type: str = "sale") -> list[int]:
    """Register `count` banners through HTTP; banner n links to banner_link(n). Returns their ids."""
    ids = []
    for n in range(count):
        fields = {
            "title": f"Bench banner {n} sale",
            "link_url": banner_link(n),
            "campaign_type": campaign_type,
        }
        response = api.multipart("/api/v1/banners", fields, f"b{n}.png", png(n))
        if response.status != 201:
            raise RuntimeError(f"registering banner {n}: {response.status} {response.body}")
        ids.append(int(response.body["id"]))
    return ids


def place(api: HttpApi, banner_id: int, first: Any, last: Any, targets: Sequence[str] | None = None) -> None:
    body: dict[str, Any] = {"banner_id": banner_id, "start_date": str(first), "end_date": str(last)}
    if targets is not None:
        body["targets"] = list(targets)
    response = api.request("POST", "/api/v1/schedule", body)
    if response.status != 201:
        raise RuntimeError(f"placing banner {banner_id}: {response.status} {response.body}")


@dataclass
class Cluster:
    """The running processes of one benchmark and what it needs to talk to them."""

    apis: dict[str, HttpApi]
    env: dict[str, str]
    redis: Redis
    workdir: Path
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""  # the bearer token of every HttpApi, set by issue_token

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            list(argv),
            env={**self.env, **(env or {})},
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        # Quick shutdown for gunicorn and cold shutdown for Celery: nothing of a benchmark is left to finish.
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def start_worker(self, concurrency: int, name: str = "worker") -> None:
        self.start(name, [MAILBANNER, "worker", "--concurrency", str(concurrency), "--loglevel", "WARNING"])

    def start_beat(self) -> None:
        self.start("beat", [MAILBANNER, "beat", "--loglevel", "WARNING"])

    def start_api(
        self, name: str, env: Mapping[str, str] | None = None, workers: int = 2, wait: bool = True
    ) -> HttpApi:
        """The API under gunicorn (`mailbanner serve`); wait=False returns at once (see wait_healthy)."""
        port = free_port()
        argv = [MAILBANNER, "serve", "--port", str(port), "--workers", str(workers)]
        self.start(name, argv, env)
        api = HttpApi(f"http://127.0.0.1:{port}", self.token)
        self.apis[name] = api
        if wait:
            self.wait_healthy()
        return api

    def wait_healthy(self) -> None:
        for name, api in self.apis.items():
            wait_until(partial(_healthy, api), timeout=120, what=f"API {name} /healthz")

    def issue_token(self, user: str, roles: Sequence[str]) -> str:
        """A user and a bearer token, made in this process by the same code as `mailbanner user` (the
        command itself takes seconds to start, which the quick mode cannot afford)."""
        from flask import g

        from banner_api import create_app
        from banner_api.auth import accounts
        from banner_api.auth.roles import ROLES, Principal
        from banner_api.context import services
        from banner_api.publish import NullPublisher
        from banner_common.settings import Settings

        app = create_app(Settings.from_env(self.env), publisher=NullPublisher())
        try:
            with app.app_context():
                g.principal = Principal(name="cli:bench", roles=frozenset(ROLES), via="cli")
                svc = services()
                accounts.create_user(
                    svc, user, accounts.UserFields(roles=list(roles), campaign_types=[], views=[])
                )
                self.token = accounts.issue_token(svc, user, None, "bench").secret
        finally:
            app.extensions["mailbanner"].engine.dispose()
        for api in self.apis.values():
            api.token = self.token
        return self.token

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        self.redis.stop()


def _healthy(api: HttpApi) -> bool:
    try:
        return api.request("GET", "/healthz").status == 200
    except OSError:
        return False


@contextmanager
def cluster(
    banner_url: str, targets: Sequence[TargetDef], extra_env: Mapping[str, str] | None = None
) -> Iterator[Cluster]:
    """A migrated banner database at `banner_url`, a targets file, a private Redis; processes are
    started by the caller (start_api / start_worker / start_beat) and all stopped on exit."""
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="mb_bench_"))
        stack.callback(shutil.rmtree, workdir, True)
        logs = workdir / "logs"
        logs.mkdir()
        migrate.upgrade(banner_url)
        targets_file = workdir / "targets.toml"
        targets_file.write_text("".join(t.toml() for t in targets), encoding="utf-8")
        redis = Redis(free_port(), logs / "redis.log")
        redis.start()
        env = {
            **os.environ,
            "MAILBANNER_DATABASE_URL": banner_url,
            "MAILBANNER_REDIS_URL": redis.url,
            # No targets: the default target names, and no delivery table behind them.
            **({"MAILBANNER_TARGETS_FILE": str(targets_file)} if targets else {}),
            "MAILBANNER_STORAGE_DIR": str(workdir / "images"),
            "MAILBANNER_LOG_JSON": "true",
            "MAILBANNER_LOG_LEVEL": "WARNING",
            # The per-user write limit is for people; a load generator is one user doing far more.
            "MAILBANNER_RATE_LIMIT_WRITES": "",
            **(extra_env or {}),
        }
        running = Cluster(apis={}, env=env, redis=redis, workdir=workdir, logs=logs)
        stack.callback(running.close)
        try:
            yield running
        except BaseException:
            _print_log_tails(logs)
            raise


def _print_log_tails(logs: Path, lines: int = 15) -> None:
    """What each process said last: the logs go with the work directory."""
    for log in sorted(logs.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} (last {lines} lines)", *tail, sep="\n", file=sys.stderr)


def resume_all(api: HttpApi, names: Sequence[str]) -> None:
    for name in names:
        response = api.request("POST", f"/api/v1/sync/targets/{name}/resume")
        if response.status != 200:
            raise RuntimeError(f"resuming {name}: {response.status} {response.body}")


def monotonic_ms() -> float:
    return time.monotonic() * 1000
