"""Real processes for end-to-end tests: a private Redis, the API under gunicorn, a worker and a beat."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from banner_api import migrate
from tests.brokers import free_port
from tests.conftest import MARIADB_URL, POSTGRES_URL
from tests.processes import (
    LEGACY_DDL,
    MAILBANNER,
    HttpApi,
    Redis,
    issue_token,
    target_toml,
    wait_until,
)


@dataclass
class System:
    """The running system and what a test needs to talk to it."""

    api: HttpApi
    redis: Redis
    targets: dict[str, sa.Engine]
    tables: dict[str, str]
    beat_interval: float
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    suffix = uuid.uuid4().hex[:8]
    logs = tmp_path / "logs"
    logs.mkdir()

    # Banner database: a PostgreSQL schema of its own.
    admin = sa.create_engine(POSTGRES_URL)
    banner_schema = f"mb_e2e_{suffix}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {banner_schema}"))
    banner_url = f"{POSTGRES_URL}?options=-csearch_path%3D{banner_schema}"
    migrate.upgrade(banner_url)

    # Delivery targets: a legacy-looking table in PostgreSQL and one in a MariaDB database of its own.
    pg_table = f"mb_e2e_{suffix}.T_NL_FOOTER_BANNER"
    with admin.begin() as conn:
        conn.execute(sa.text(LEGACY_DDL["postgresql"].format(table=pg_table)))
    maria_admin = sa.create_engine(MARIADB_URL)
    maria_db = f"mb_e2e_{suffix}"
    with maria_admin.begin() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {maria_db}"))
    maria_url = MARIADB_URL.rsplit("/", 1)[0] + f"/{maria_db}"
    maria = sa.create_engine(maria_url)
    with maria.begin() as conn:
        conn.execute(sa.text(LEGACY_DDL["mysql"].format(table="MASS_MAIL_BANNER")))
    targets_file = tmp_path / "targets.toml"
    targets_file.write_text(
        target_toml(
            name="personalized",
            url=POSTGRES_URL,
            schema_line=f'schema = "{banner_schema}"',
            table="T_NL_FOOTER_BANNER",
            order="top_is_one",
            back=3,
            ahead=30,
        )
        + target_toml(
            name="mass",
            url=maria_url,
            schema_line="",
            table="MASS_MAIL_BANNER",
            order="larger_is_top",
            back=3,
            ahead=30,
        ),
        encoding="utf-8",
    )

    redis = Redis(free_port(), logs / "redis.log")
    redis.start()
    port = free_port()
    beat_interval = 3.0
    env = {
        **os.environ,
        "MAILBANNER_DATABASE_URL": banner_url,
        "MAILBANNER_REDIS_URL": redis.url,
        "MAILBANNER_TARGETS_FILE": str(targets_file),
        "MAILBANNER_BEAT_INTERVAL_SECONDS": str(beat_interval),
        "MAILBANNER_STORAGE_DIR": str(tmp_path / "images"),
        "MAILBANNER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "MAILBANNER_LOG_JSON": "true",
    }
    commands = {
        "api": [MAILBANNER, "serve", "--port", str(port), "--workers", "2"],
        "worker": [MAILBANNER, "worker", "--concurrency", "2"],
        "beat": [MAILBANNER, "beat"],
    }
    processes = [
        subprocess.Popen(
            argv, env=env, cwd=tmp_path, stdout=(logs / f"{name}.log").open("wb"), stderr=subprocess.STDOUT
        )
        for name, argv in commands.items()
    ]
    api = HttpApi(f"http://127.0.0.1:{port}", issue_token(env, "e2e-planner", ["planner", "operator"]))
    system = System(
        api=api,
        redis=redis,
        targets={"personalized": sa.create_engine(POSTGRES_URL), "mass": maria},
        tables={"personalized": pg_table, "mass": "MASS_MAIL_BANNER"},
        beat_interval=beat_interval,
        logs=logs,
        processes=processes,
    )
    try:
        wait_until(lambda: _healthy(api), timeout=30, what="API /healthz")
        yield system
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
        for engine in system.targets.values():
            engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {banner_schema} CASCADE"))
        with maria_admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE {maria_db}"))
        admin.dispose()
        maria_admin.dispose()


def _healthy(api: HttpApi) -> bool:
    try:
        return api.request("GET", "/healthz").status == 200
    except OSError:
        return False
