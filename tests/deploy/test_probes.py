"""The worker's and the beat's liveness probes, taken from the rendered manifests, run against real
processes on a private Redis: they pass for a live process and fail when it is not there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers import private_redis
from tests.deploy.manifests import pod, render

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

START_DEADLINE_SECONDS = 60


@pytest.fixture
def redis_url() -> Iterator[str]:
    with private_redis() as (url, _process):
        yield url


def _environment(redis_url: str, tmp_path: Path, pod_name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBANNER_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        POD_NAME=pod_name,
        MAILBANNER_REDIS_URL=redis_url,
        MAILBANNER_DATABASE_URL=f"sqlite:///{tmp_path / 'banner.db'}",
    )
    return env


def _probe(command: list[str], env: dict[str, str]) -> int:
    return subprocess.run(command, env=env, capture_output=True, timeout=60, check=False).returncode


def _until_probe_passes(command: list[str], env: dict[str, str], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while _probe(command, env) != 0:
        assert process.poll() is None, "the process exited"
        assert time.monotonic() < deadline, "the probe never passed"
        time.sleep(0.5)


def _until_logged(text: str, log: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_DEADLINE_SECONDS
    while text not in log.read_text(encoding="utf-8", errors="replace"):
        assert process.poll() is None, "the process exited"
        assert time.monotonic() < deadline, f"never logged {text!r}"
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(args: list[str], env: dict[str, str], tmp_path: Path, log: str) -> subprocess.Popen[bytes]:
    with (tmp_path / log).open("wb") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "mailbanner"), *args],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_worker_liveness_probe_answers_only_for_its_own_node(redis_url: str, tmp_path: Path) -> None:
    container = pod(render("prod"), "sync-worker").container("sync-worker")
    env = _environment(redis_url, tmp_path, "sync-worker-7d9f-abcde")
    # What the kubelet does with $(POD_NAME) in args.
    args = [arg.replace("$(POD_NAME)", env["POD_NAME"]) for arg in container["args"]]
    probe = container["livenessProbe"]["exec"]["command"]
    worker = _start([*args, "--concurrency=1"], env, tmp_path, "worker.log")
    try:
        # Wait for the worker first: a probe sent before it listens costs its whole reply timeout.
        _until_logged(f"sync@{env['POD_NAME']} ready", tmp_path / "worker.log", worker)
        assert _probe(probe, env) == 0
        # Another pod's name gets no reply; a shorter reply timeout only keeps this test quick.
        other = [*probe[:2], probe[2].replace("--timeout 10", "--timeout 2")]
        assert other != probe
        assert _probe(other, {**env, "POD_NAME": "sync-worker-other-pod"}) != 0
    finally:
        _stop(worker)
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()


def test_beat_liveness_probe_passes_while_the_beat_holds_its_lock(redis_url: str, tmp_path: Path) -> None:
    container = pod(render("prod"), "scheduler-beat").container("scheduler-beat")
    env = _environment(redis_url, tmp_path, "scheduler-beat-0")
    probe = container["livenessProbe"]["exec"]["command"]
    assert _probe(probe, env) != 0, "no beat runs yet"
    beat = _start(container["args"], env, tmp_path, "beat.log")
    try:
        _until_probe_passes(probe, env, beat)
    finally:
        _stop(beat)
    # A beat stopped by SIGTERM releases its lock: the next pod (Recreate) schedules at once.
    assert _probe(probe, env) != 0, (tmp_path / "beat.log").read_text()
