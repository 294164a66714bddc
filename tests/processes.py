"""Real processes and legacy tables shared by the end-to-end, fault and benchmark harnesses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

MAILBANNER = str(Path(sys.executable).with_name("mailbanner"))


@dataclass
class Redis:
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _redis_answers(self.port), timeout=10, what="redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


def _redis_answers(port: int) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, socket_connect_timeout=0.2).ping())
    except redis.RedisError:
        return False


def wait_until(check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll until check() is truthy; fail with what it last returned."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not reached within {timeout} s (last: {last!r})")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: Any


class HttpApi:
    """A small JSON client over urllib holding a bearer token, so tests talk HTTP to the real server."""

    def __init__(self, base_url: str, token: str, timeout: float = 15.0) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout = timeout

    def request(
        self, method: str, path: str, json_body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        data = None if json_body is None else json.dumps(json_body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        return self._send(request, headers)

    def multipart(
        self, path: str, fields: dict[str, str], filename: str, content: bytes, file_field: str = "image"
    ) -> Response:
        """POST fields and one file as multipart/form-data."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, value in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(self.base_url + path, data=b"".join(parts), method="POST")
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        return self._send(request, None)

    def _send(self, request: urllib.request.Request, headers: dict[str, str] | None) -> Response:
        request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                raw, status, reply_headers = reply.read(), reply.status, dict(reply.headers)
        except urllib.error.HTTPError as error:
            raw, status, reply_headers = error.read(), error.code, dict(error.headers)
        is_json = reply_headers.get("Content-Type", "").startswith("application/json")
        return Response(status, reply_headers, json.loads(raw) if raw and is_json else raw)


# The delivery table as the legacy system made it: an id, the five delivery columns, audit columns.
LEGACY_DDL = {
    "postgresql": """CREATE TABLE {table} (
        BANNER_ID SERIAL PRIMARY KEY,
        BANNER_IMG_URL VARCHAR(1000) NOT NULL,
        BANNER_LINK_URL VARCHAR(1000) NOT NULL,
        DISP_PRIORITY INTEGER NOT NULL,
        DISP_START_DT TIMESTAMP NOT NULL,
        DISP_END_DT TIMESTAMP NOT NULL,
        UPD_USER VARCHAR(30) NOT NULL,
        UPD_DT TIMESTAMP NOT NULL)""",
    "mysql": """CREATE TABLE {table} (
        BANNER_ID INT AUTO_INCREMENT PRIMARY KEY,
        BANNER_IMG_URL VARCHAR(1000) NOT NULL,
        BANNER_LINK_URL VARCHAR(1000) NOT NULL,
        DISP_PRIORITY INT NOT NULL,
        DISP_START_DT DATETIME NOT NULL,
        DISP_END_DT DATETIME NOT NULL,
        UPD_USER VARCHAR(30) NOT NULL,
        UPD_DT DATETIME NOT NULL)""",
}

TARGET_TOML = """
[targets.{name}]
url = "{url}"
{schema_line}
table = "{table}"
priority_order = "{order}"
datetime_storage = "naive_local"
window_days_back = {back}
window_days_ahead = {ahead}
{extra}
constants = {{ UPD_USER = "mailbanner" }}
now_columns = ["UPD_DT"]

[targets.{name}.columns]
image_url = "BANNER_IMG_URL"
link_url = "BANNER_LINK_URL"
priority = "DISP_PRIORITY"
start_at = "DISP_START_DT"
end_at = "DISP_END_DT"
"""


def mariadb_odbc_url(mariadb_url: str, database: str) -> str:
    """The server of a MariaDB URL, and one of its databases, through pyodbc and Debian's MariaDB ODBC
    driver."""
    parsed = make_url(mariadb_url)
    connect = (
        f"DRIVER={{MariaDB Unicode}};SERVER={parsed.host};PORT={parsed.port or 3306};DATABASE={database};"
        f"UID={parsed.username};PWD={parsed.password or ''};"
    )
    return "mysql+pyodbc:///?odbc_connect=" + urllib.parse.quote_plus(connect)


def issue_token(env: dict[str, str], user: str, roles: list[str]) -> str:
    """A real user and token, made with the operator's own commands."""
    role_args = [arg for role in roles for arg in ("--role", role)]
    subprocess.run([MAILBANNER, "user", "create", user, *role_args], env=env, check=True, capture_output=True)
    issued = subprocess.run(
        [MAILBANNER, "user", "token", user, "--quiet"], env=env, check=True, capture_output=True, text=True
    )
    return issued.stdout.strip()


def target_toml(
    *,
    name: str,
    url: str,
    table: str,
    order: str,
    schema_line: str = "",
    back: int = 3,
    ahead: int = 30,
    extra: str = "",
) -> str:
    """A [targets.<name>] declaration of the legacy table above, with any extra keys as TOML lines."""
    return TARGET_TOML.format(
        name=name,
        url=url,
        schema_line=schema_line,
        table=table,
        order=order,
        back=back,
        ahead=ahead,
        extra=extra,
    )
