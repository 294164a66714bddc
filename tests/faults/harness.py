"""A whole Mailbanner cluster of real processes for fault tests and the soak: API, workers, beats, Redis,
a PostgreSQL banner database and PostgreSQL/MariaDB delivery targets, with TCP proxies the caller can cut."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from banner_api import migrate
from banner_api.auth.roles import ROLES
from sync_worker.celery_app import WorkerOptions
from tests.brokers import free_port
from tests.conftest import MARIADB_URL, POSTGRES_URL
from tests.faults.proxy import TcpProxy
from tests.faults.worker_proc import OPTIONS_VARIABLE, VISIBILITY_OVERRIDE_VARIABLE
from tests.processes import LEGACY_DDL, MAILBANNER, HttpApi, Redis, Response, target_toml, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKYO = ZoneInfo("Asia/Tokyo")
LARGER_IS_TOP = {"mass"}
USER = "faults"

# Short enough that a test sees a stranded lock expire, a redelivery and a retry; still valid for
# WorkerOptions.validate() (hard limit > soft limit; visibility > hard limit and backoff).
SHORT_OPTIONS = WorkerOptions(
    soft_time_limit_seconds=8.0,
    time_limit_seconds=10.0,
    max_retries=8,
    retry_backoff_base_seconds=0.5,
    retry_backoff_max_seconds=2.0,
    lock_ttl_seconds=12.0,
    visibility_timeout_seconds=15.0,
)

Row = tuple[str, int, dt.date]


@dataclass(frozen=True)
class ClusterSpec:
    """What to run. `proxy_*` puts a TcpProxy between the services and that database."""

    targets: tuple[str, ...] = ("personalized", "mass")
    window_days_ahead: int = 30
    chunk_size: int = 1000
    lock_timeout_seconds: int = 5
    workers: int = 1
    concurrency: int = 2
    beats: int = 1
    beat_interval: float = 2.0
    api_workers: int = 2
    proxy_targets: bool = False
    proxy_banner_db: bool = False
    worker_options: WorkerOptions = SHORT_OPTIONS
    forced_visibility_timeout: float | None = None


@dataclass
class Proc:
    """One service process in a process group of its own, so a kill -9 takes its pool children too."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole process group: the main process and every pool child, mid-whatever."""
        if self.popen is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)
        self.popen = None

    def stop(self, grace: float = 20.0) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        self.kill9()

    def group_pids(self) -> list[int]:
        """The main process and every process of its group (a worker's pool children)."""
        if self.popen is None:
            return []
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.popen.pid:  # the process group id
                found.append(int(stat.parent.name))
        return found

    def memory_bytes(self) -> int:
        """Proportional set size of the group: shared pages (the pool's copy-on-write image of its
        parent) counted once, not once per process as the sum of RSS would."""
        total = 0
        for pid in self.group_pids():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            for line in rollup.splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        return total


@dataclass
class Plan:
    """What the planner expects each target to show: the ordered links of each day (the oracle)."""

    days: dict[tuple[str, dt.date], list[str]] = field(default_factory=dict)

    def rows(self, target: str) -> Counter[Row]:
        rows: Counter[Row] = Counter()
        for (name, day), links in self.days.items():
            if name != target:
                continue
            for rank, link in enumerate(links, start=1):
                priority = len(links) + 1 - rank if target in LARGER_IS_TOP else rank
                rows[(link, priority, day)] += 1
        return rows


@dataclass
class Cluster:
    """The running cluster, its databases seen directly (never through a proxy) and its controls."""

    spec: ClusterSpec
    api: HttpApi
    redis: Redis
    banner_engine: sa.Engine
    target_engines: dict[str, sa.Engine]
    tables: dict[str, str]
    proxies: dict[str, TcpProxy]
    workers: list[Proc]
    beats: list[Proc]
    api_proc: Proc
    logs: Path
    targets_file: Path

    def target_rows(self, target: str) -> Counter[Row]:
        """The target's rows as (link, priority, local display date): one consistent read."""
        with self.target_engines[target].connect() as conn:
            rows = conn.execute(
                sa.text(f"SELECT BANNER_LINK_URL, DISP_PRIORITY, DISP_START_DT FROM {self.tables[target]}")
            ).all()
        return Counter((link, int(priority), start.date()) for link, priority, start in rows)

    def wait_for_rows(self, target: str, expected: Counter[Row], within: float) -> None:
        wait_until(
            lambda: self.target_rows(target) == expected,
            timeout=within,
            what=f"{target} to hold the {sum(expected.values())} planned rows "
            f"(holds {sum(self.target_rows(target).values())}; logs in {self.logs})",
            interval=0.2,
        )

    def runs(self, target: str) -> list[dict[str, Any]]:
        """The target's sync runs from the banner database, oldest first."""
        with self.banner_engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT id, trigger, started_at, finished_at, outcome, error FROM sync_runs "
                    "WHERE target = :t ORDER BY started_at, id"
                ),
                {"t": target},
            ).mappings()
            return [dict(row) for row in rows]

    def swap_in_progress(self, target: str) -> bool:
        """Whether some session holds the target's swap lock now (the lock the worker's dialect takes)."""
        from banner_common.targets import load_targets
        from sync_worker.dialects import dialect_for
        from sync_worker.dialects.base import lock_key, lock_name
        from sync_worker.target_table import TargetTable

        spec = load_targets(self.targets_file)[target]
        table = TargetTable.for_spec(spec, TOKYO, dialect_for(spec.url)).table
        with self.target_engines[target].connect() as conn:
            if conn.dialect.name == "postgresql":
                key = lock_key(table) & 0xFFFFFFFFFFFFFFFF
                held = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                        "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                    ),
                    {"high": key >> 32, "low": key & 0xFFFFFFFF},
                ).scalar_one()
                return bool(held)
            holder = conn.execute(sa.select(sa.func.is_used_lock(lock_name(table)))).scalar_one()
            return holder is not None

    def start_worker(self) -> Proc:
        worker = _worker_proc(self.spec, self.workers[0].env, self.logs, len(self.workers))
        worker.start()
        self.workers.append(worker)
        return worker


def _env_for(
    banner_url: str, redis_url: str, targets_file: Path, spec: ClusterSpec, work: Path, port: int
) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "MAILBANNER_DATABASE_URL": banner_url,
        "MAILBANNER_REDIS_URL": redis_url,
        "MAILBANNER_TARGETS_FILE": str(targets_file),
        "MAILBANNER_BEAT_INTERVAL_SECONDS": str(spec.beat_interval),
        "MAILBANNER_STORAGE_DIR": str(work / "images"),
        "MAILBANNER_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "MAILBANNER_LOG_JSON": "true",
        "MAILBANNER_RATE_LIMIT_WRITES": "100000/minute",
        OPTIONS_VARIABLE: json.dumps(asdict(spec.worker_options)),
        "MB_FAULTS_CONCURRENCY": str(spec.concurrency),
    }


def _worker_proc(spec: ClusterSpec, env: dict[str, str], logs: Path, index: int) -> Proc:
    worker_env = {**env, "MB_FAULTS_HOSTNAME": f"worker{index}@faults-{uuid.uuid4().hex[:6]}"}
    if spec.forced_visibility_timeout is not None:
        worker_env[VISIBILITY_OVERRIDE_VARIABLE] = str(spec.forced_visibility_timeout)
    return Proc(
        f"worker{index}",
        [sys.executable, "-m", "tests.faults.worker_proc"],
        worker_env,
        logs / f"worker{index}.log",
        REPO_ROOT,
    )


def _proxied(url: str, proxy: TcpProxy | None) -> str:
    if proxy is None:
        return url
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def _issue_token(env: dict[str, str], work: Path) -> str:
    roles = [arg for role in ROLES for arg in ("--role", role)]
    subprocess.run(
        [MAILBANNER, "user", "create", USER, *roles], env=env, cwd=work, check=True, capture_output=True
    )
    made = subprocess.run(
        [MAILBANNER, "user", "token", USER, "--quiet"], env=env, cwd=work, check=True, capture_output=True
    )
    return made.stdout.decode().strip()


def _healthy(api: HttpApi) -> bool:
    try:
        return api.request("GET", "/healthz").status == 200
    except OSError:
        return False


@contextmanager
def running_cluster(spec: ClusterSpec, work: Path) -> Iterator[Cluster]:
    """Databases of their own, a private Redis and every process; all stopped and dropped afterwards."""
    suffix = uuid.uuid4().hex[:8]
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    admin = sa.create_engine(POSTGRES_URL)
    maria_admin = sa.create_engine(MARIADB_URL)
    banner_schema, target_schema, maria_db = f"mb_flt_{suffix}", f"mb_flt_{suffix}_t", f"mb_flt_{suffix}"
    proxies: dict[str, TcpProxy] = {}
    procs: list[Proc] = []
    engines: list[sa.Engine] = []
    redis = Redis(free_port(), logs / "redis.log")
    cluster: Cluster | None = None
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {banner_schema}"))
            conn.execute(sa.text(f"CREATE SCHEMA {target_schema}"))
            conn.execute(
                sa.text(LEGACY_DDL["postgresql"].format(table=f"{target_schema}.T_NL_FOOTER_BANNER"))
            )
        with maria_admin.begin() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {maria_db}"))
        maria_url = MARIADB_URL.rsplit("/", 1)[0] + f"/{maria_db}"
        maria = sa.create_engine(maria_url)
        engines.append(maria)
        with maria.begin() as conn:
            conn.execute(sa.text(LEGACY_DDL["mysql"].format(table="MASS_MAIL_BANNER")))
        banner_url = f"{POSTGRES_URL}?options=-csearch_path%3D{banner_schema}"
        migrate.upgrade(banner_url)
        banner_engine = sa.create_engine(banner_url)
        engines.append(banner_engine)
        postgres = make_url(POSTGRES_URL)
        mariadb = make_url(MARIADB_URL)
        if spec.proxy_banner_db:
            proxies["banner"] = TcpProxy(postgres.host or "127.0.0.1", postgres.port or 5432)
        if spec.proxy_targets:
            proxies["personalized"] = TcpProxy(postgres.host or "127.0.0.1", postgres.port or 5432)
            proxies["mass"] = TcpProxy(mariadb.host or "127.0.0.1", mariadb.port or 3306)

        declared = {
            "personalized": dict(
                url=_proxied(POSTGRES_URL, proxies.get("personalized")),
                schema_line=f'schema = "{target_schema}"',
                table="T_NL_FOOTER_BANNER",
                order="top_is_one",
            ),
            "mass": dict(
                url=_proxied(maria_url, proxies.get("mass")),
                schema_line="",
                table="MASS_MAIL_BANNER",
                order="larger_is_top",
            ),
        }
        targets_file = work / "targets.toml"
        targets_file.write_text(
            "".join(
                target_toml(
                    name=name,
                    back=2,
                    ahead=spec.window_days_ahead,
                    extra=(
                        "max_delete_share = 1.0\n"
                        f"chunk_size = {spec.chunk_size}\n"
                        f"lock_timeout_seconds = {spec.lock_timeout_seconds}"
                    ),
                    **declared[name],
                )
                for name in spec.targets
            ),
            encoding="utf-8",
        )
        redis.start()
        port = free_port()
        service_banner_url = _proxied(banner_url, proxies.get("banner"))
        env = _env_for(service_banner_url, redis.url, targets_file, spec, work, port)
        token = _issue_token({**env, "MAILBANNER_DATABASE_URL": banner_url}, work)
        api_proc = Proc(
            "api",
            [MAILBANNER, "serve", "--port", str(port), "--workers", str(spec.api_workers)],
            env,
            logs / "api.log",
            work,
        )
        workers = [_worker_proc(spec, env, logs, i) for i in range(spec.workers)]
        beats = [
            Proc(f"beat{i}", [MAILBANNER, "beat"], env, logs / f"beat{i}.log", work)
            for i in range(spec.beats)
        ]
        procs.extend([api_proc, *workers, *beats])
        for proc in procs:
            proc.start()
        api = HttpApi(f"http://127.0.0.1:{port}", token)
        wait_until(lambda: _healthy(api), timeout=30, what="API /healthz")
        target_engines = {"personalized": sa.create_engine(POSTGRES_URL), "mass": maria}
        engines.append(target_engines["personalized"])
        cluster = Cluster(
            spec=spec,
            api=api,
            redis=redis,
            banner_engine=banner_engine,
            target_engines={name: target_engines[name] for name in spec.targets},
            tables={
                "personalized": f"{target_schema}.T_NL_FOOTER_BANNER",
                "mass": "MASS_MAIL_BANNER",
            },
            proxies=proxies,
            workers=workers,
            beats=beats,
            api_proc=api_proc,
            logs=logs,
            targets_file=targets_file,
        )
        for name in spec.targets:
            resumed = api.request("POST", f"/api/v1/sync/targets/{name}/resume")
            assert resumed.status == 200, resumed.body
        yield cluster
    finally:
        if cluster is not None:
            procs[:] = [cluster.api_proc, *cluster.workers, *cluster.beats]
        for proxy in proxies.values():
            proxy.restore()
        for proc in procs:
            if proc.popen is not None and proc.popen.poll() is None:
                proc.popen.terminate()
        for proc in procs:
            proc.stop()
        redis.stop()
        for engine in engines:
            engine.dispose()
        for proxy in proxies.values():
            proxy.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {banner_schema} CASCADE"))
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {target_schema} CASCADE"))
        with maria_admin.begin() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {maria_db}"))
        admin.dispose()
        maria_admin.dispose()


def today() -> dt.date:
    return dt.datetime.now(TOKYO).date()


def png(color: str = "red") -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (600, 120), color).save(buffer, format="PNG")
    return buffer.getvalue()


def register_banner(api: HttpApi, title: str, link: str, color: str = "red") -> int:
    fields = {"title": title, "link_url": link, "campaign_type": "sale"}
    response = api.multipart("/api/v1/banners", fields, "banner.png", png(color))
    assert response.status == 201, response.body
    return int(response.body["id"])


def place(api: HttpApi, banner_id: int, first: dt.date, last: dt.date, targets: list[str]) -> Response:
    body = {
        "banner_id": banner_id,
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "targets": targets,
    }
    return api.request("POST", "/api/v1/schedule", body)


def set_link(api: HttpApi, banner_id: int, link: str) -> Response:
    current = api.request("GET", f"/api/v1/banners/{banner_id}")
    if current.status != 200:
        return current
    return api.request(
        "PATCH", f"/api/v1/banners/{banner_id}", {"link_url": link}, {"If-Match": current.headers["ETag"]}
    )


def retry_until(deadline_seconds: float, call: Any, *args: Any) -> Response:
    """Repeat a request refused with 503 (a dependency down) until it is answered otherwise."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        response: Response = call(*args)
        if response.status != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


class Planner:
    """Random planner edits through the HTTP API, with every response status counted.

    The expected target rows are read back from the API (the schedule as the banner database holds
    it), never from the worker, so a request whose outcome the client could not see is still judged.
    """

    def __init__(self, api: HttpApi, targets: tuple[str, ...], days: list[dt.date], rng: Any) -> None:
        self.api = api
        self.targets = targets
        self.days = days
        self.rng = rng
        self.banners: list[int] = []
        self.statuses: Counter[int] = Counter()
        self.unanswered = 0
        self.edits = 0
        self._serial = 0

    def _call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        try:
            response = self.api.request(method, path, body, headers)
        except OSError:
            self.unanswered += 1
            return Response(0, {}, None)
        self.statuses[response.status] += 1
        return response

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500 and status != 503)

    def add_banner(self) -> int | None:
        self._serial += 1
        fields = {"title": f"Banner {self._serial}", "link_url": self._link(), "campaign_type": "sale"}
        try:
            response = self.api.multipart("/api/v1/banners", fields, "banner.png", png())
        except OSError:
            self.unanswered += 1
            return None
        self.statuses[response.status] += 1
        if response.status != 201:
            return None
        self.banners.append(int(response.body["id"]))
        return self.banners[-1]

    def _link(self) -> str:
        self._serial += 1
        return f"https://shop.example.com/p/{self._serial}"

    def edit(self) -> str:
        """One random edit; returns its kind."""
        self.edits += 1
        kind = self.rng.choice(["link", "place", "remove", "reorder"])
        if not self.banners or kind == "link":
            self.edit_link()
            return "link"
        banner = self.rng.choice(self.banners)
        first = self.rng.choice(self.days)
        last = min(first + dt.timedelta(days=self.rng.randint(0, 4)), self.days[-1])
        targets = self.rng.sample(list(self.targets), self.rng.randint(1, len(self.targets)))
        if kind == "place":
            body = {"banner_id": banner, "start_date": first.isoformat(), "end_date": last.isoformat()}
            self._call("POST", "/api/v1/schedule", {**body, "targets": targets})
        elif kind == "remove":
            query = f"banner_id={banner}&start_date={first}&end_date={last}&targets={','.join(targets)}"
            self._call("DELETE", f"/api/v1/schedule?{query}")
        else:
            self.reorder(first, targets[0])
        return str(kind)

    def edit_link(self) -> None:
        if not self.banners:
            self.add_banner()
            return
        banner = self.rng.choice(self.banners)
        current = self._call("GET", f"/api/v1/banners/{banner}")
        if current.status == 200:
            body = {"link_url": self._link()}
            self._call("PATCH", f"/api/v1/banners/{banner}", body, {"If-Match": current.headers["ETag"]})

    def reorder(self, day: dt.date, target: str) -> None:
        path = f"/api/v1/schedule/days/{day}?target={target}"
        current = self._call("GET", path)
        if current.status != 200 or len(current.body["entries"]) < 2:
            return
        ids = [entry["id"] for entry in current.body["entries"]]
        self.rng.shuffle(ids)
        self._call("PUT", path, {"entry_ids": ids}, {"If-Match": current.headers["ETag"]})

    def expected_rows(self, target: str) -> Counter[Row]:
        """The rows the target must hold, from the schedule the API reads back day by day."""
        plan = Plan()
        for day in self.days:
            response = self.api.request("GET", f"/api/v1/schedule/days/{day}?target={target}")
            assert response.status == 200, response.body
            entries = sorted(response.body["entries"], key=lambda entry: entry["position"])
            plan.days[(target, day)] = [entry["banner"]["link_url"] for entry in entries]
        return plan.rows(target)
