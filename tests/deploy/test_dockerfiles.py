"""Each service's Dockerfile, read as text (no Docker engine here): base, user, what it installs, command."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from tests.deploy.dockerfiles import Instruction, parse, stages
from tests.deploy.manifests import ROOT

BASE_IMAGE = "python:3.11-slim-bookworm"
SERVICES = {
    "banner-api": ["serve", "--host", "0.0.0.0", "--port", "8000"],
    "sync-worker": ["worker"],
    "scheduler-beat": ["beat"],
}


def _dockerfile(service: str) -> list[Instruction]:
    return parse(ROOT / "services" / service / "Dockerfile")


def _pip_installs(instructions: list[Instruction]) -> list[list[str]]:
    commands = []
    for instruction in instructions:
        if instruction.keyword == "RUN":
            for part in re.split(r"&&|;", instruction.value):
                words = shlex.split(part)
                if words[:2] == ["pip", "install"]:
                    commands.append(words[2:])
    return commands


@pytest.mark.parametrize("service", SERVICES)
def test_every_stage_builds_on_slim_bookworm_python_3_11(service: str) -> None:
    for stage in stages(_dockerfile(service)):
        assert stage[0].value.split()[0] == BASE_IMAGE


@pytest.mark.parametrize("service", SERVICES)
def test_build_is_multi_stage_and_ships_only_the_virtualenv(service: str) -> None:
    build, final = stages(_dockerfile(service))
    assert build[0].value.endswith(" AS build")
    copies = [i.value for i in final if i.keyword == "COPY"]
    assert copies == ["--from=build /opt/venv /opt/venv"]


@pytest.mark.parametrize("service", SERVICES)
def test_final_image_runs_as_a_numeric_non_root_user(service: str) -> None:
    final = stages(_dockerfile(service))[-1]
    users = [i.value for i in final if i.keyword == "USER"]
    assert users, "the final stage sets USER"
    uid, _, gid = users[-1].partition(":")
    # Numeric, so Kubernetes runAsNonRoot can verify it without reading /etc/passwd.
    assert uid.isdigit()
    assert int(uid) != 0
    assert not gid or (gid.isdigit() and int(gid) != 0)
    after_user = final[[i.keyword for i in final].index("USER") :]
    assert not any(i.keyword == "RUN" for i in after_user), "nothing runs as root after USER"


@pytest.mark.parametrize("service", SERVICES)
def test_installs_only_common_and_its_own_service_with_the_constraints(service: str) -> None:
    build = stages(_dockerfile(service))[0]
    sources = {i.value.split()[0] for i in build if i.keyword == "COPY"}
    assert sources == {"constraints.txt", "libs/common", f"services/{service}"}
    installs = _pip_installs(build)
    assert len(installs) == 1
    args = installs[0]
    assert args[args.index("-c") + 1] == "constraints.txt"
    projects = [a for a in args if a.startswith("./")]
    assert projects == ["./libs/common", f"./services/{service}"]
    assert "-e" not in args
    assert "--editable" not in args


def test_worker_installs_ibm_db_from_its_wheel_only() -> None:
    (args,) = _pip_installs(stages(_dockerfile("sync-worker"))[0])
    assert args[args.index("--only-binary") + 1] in {"ibm-db", "ibm_db", ":all:"}


def test_worker_image_has_the_odbc_driver_manager_and_an_opt_in_sql_server_driver() -> None:
    final = stages(_dockerfile("sync-worker"))[-1]
    assert any(i.keyword == "ARG" and i.value.startswith("ACCEPT_MSODBCSQL18_EULA") for i in final)
    run = " ".join(i.value for i in final if i.keyword == "RUN")
    assert re.search(r"apt-get install -y --no-install-recommends [^&]*\bunixodbc\b", run)
    assert '"$ACCEPT_MSODBCSQL18_EULA" = "Y"' in run
    assert "msodbcsql18" in run


@pytest.mark.parametrize("service", ["banner-api", "scheduler-beat"])
def test_other_images_carry_no_delivery_database_driver(service: str) -> None:
    text = (ROOT / "services" / service / "Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"odbc|ibm.db|msodbcsql|pymysql", text, re.IGNORECASE)


@pytest.mark.parametrize(("service", "command"), SERVICES.items())
def test_image_runs_its_mailbanner_command_under_tini(service: str, command: list[str]) -> None:
    final = stages(_dockerfile(service))[-1]
    entrypoint = next(i for i in final if i.keyword == "ENTRYPOINT").exec_form()
    cmd = next(i for i in final if i.keyword == "CMD").exec_form()
    assert entrypoint == ["tini", "--", "mailbanner"]
    assert cmd == command


def test_build_context_keeps_out_everything_the_images_do_not_copy() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "**"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert included == {"constraints.txt", "libs/common", *(f"services/{s}" for s in SERVICES)}


@pytest.mark.parametrize("service", SERVICES)
def test_every_shell_form_run_is_valid_posix_sh(service: str) -> None:
    for instruction in _dockerfile(service):
        if instruction.keyword == "RUN" and not instruction.value.startswith("["):
            checked = subprocess.run(["sh", "-n", "-c", instruction.value], capture_output=True, text=True)
            assert checked.returncode == 0, (instruction.value, checked.stderr)
