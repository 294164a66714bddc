"""Pods run as non-root on read-only roots with limits and probes; the beat is single; the worker drains."""

from __future__ import annotations

import shlex

import click
import pytest

from banner_common.cli import main as mailbanner
from banner_common.settings import Settings
from sync_worker.celery_app import WorkerOptions
from tests.deploy.manifests import (
    ROOT,
    Obj,
    config_map_names,
    container_environment,
    named,
    of_kind,
    pod,
    pods,
    policies_selecting,
    render,
    secret_names,
    selector_matches,
)

LONG_RUNNING = {"api", "sync-worker", "scheduler-beat", "flower", "redis", "postgres"}
MAILBANNER_IMAGES = ("mailbanner/banner-api", "mailbanner/sync-worker", "mailbanner/scheduler-beat")


def test_every_container_runs_unprivileged_on_a_read_only_root(objects: list[Obj]) -> None:
    for p in pods(objects):
        pod_security = p.spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, p.name
        assert pod_security["runAsUser"] != 0, p.name
        assert pod_security["seccompProfile"]["type"] == "RuntimeDefault", p.name
        assert p.spec["automountServiceAccountToken"] is False, p.name
        for container in p.containers():
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, container["name"]
            assert security["readOnlyRootFilesystem"] is True, container["name"]
            assert security["capabilities"]["drop"] == ["ALL"], container["name"]
            assert "add" not in security["capabilities"], container["name"]
            assert security.get("runAsUser", pod_security["runAsUser"]) != 0, container["name"]
            assert not security.get("privileged", False), container["name"]


def test_every_container_has_cpu_and_memory_requests_and_limits(objects: list[Obj]) -> None:
    for p in pods(objects):
        for container in p.containers():
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert set(resources[kind]) >= {"cpu", "memory"}, (container["name"], kind)


def test_every_long_running_container_has_a_liveness_probe(objects: list[Obj]) -> None:
    running = {p.component for p in pods(objects) if p.kind == "Deployment"}
    assert running <= LONG_RUNNING
    for p in pods(objects):
        if p.kind == "Deployment":
            for container in p.containers(init=False):
                assert "livenessProbe" in container, container["name"]


def test_pods_behind_a_service_have_a_readiness_probe(objects: list[Obj]) -> None:
    for service in of_kind(objects, "Service"):
        selected = [p for p in pods(objects) if service["spec"]["selector"].items() <= p.labels.items()]
        assert selected, service["metadata"]["name"]
        for p in selected:
            assert all("readinessProbe" in c for c in p.containers(init=False)), p.name


def test_writable_paths_are_volumes(objects: list[Obj]) -> None:
    # With a read-only root, every Mailbanner process needs /tmp (gunicorn heartbeats, Celery, HOME).
    for p in pods(objects):
        for container in p.containers():
            if container["image"].split(":")[0].endswith(MAILBANNER_IMAGES):
                mounts = {m["mountPath"] for m in container["volumeMounts"]}
                assert "/tmp" in mounts, container["name"]


def test_api_is_probed_on_readyz_and_healthz_and_stores_images_on_a_volume(objects: list[Obj]) -> None:
    api = pod(objects, "api")
    container = api.container("banner-api")
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["args"][:5] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    environment = container_environment(objects, api, container)
    storage = environment["MAILBANNER_STORAGE_DIR"]
    mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volume = next(v for v in api.spec["volumes"] if v["name"] == mounted[storage])
    assert "persistentVolumeClaim" in volume or "emptyDir" in volume
    assert environment["MAILBANNER_TARGETS_FILE"].startswith(
        next(path for path, name in mounted.items() if name == "targets") + "/"
    )


def test_api_in_prod_shares_one_read_write_many_image_volume() -> None:
    objects = render("prod")
    claim = named(objects, "PersistentVolumeClaim", "banner-images")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    api = pod(objects, "api")
    assert {"name": "images", "persistentVolumeClaim": {"claimName": "banner-images"}} in api.spec["volumes"]


def test_image_prune_runs_daily_on_the_api_image_volume_in_prod_and_not_in_dev() -> None:
    objects = render("prod")
    job = named(objects, "CronJob", "image-prune")
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    prune, api = pod(objects, "image-prune"), pod(objects, "api")
    container = prune.container("image-prune")
    assert container["args"] == ["images", "prune"]
    assert {"name": "images", "persistentVolumeClaim": {"claimName": "banner-images"}} in prune.spec[
        "volumes"
    ]
    prune_env = container_environment(objects, prune, container)
    api_env = container_environment(objects, api, api.container("banner-api"))
    assert prune_env["MAILBANNER_STORAGE_DIR"] == api_env["MAILBANNER_STORAGE_DIR"]
    mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounted[prune_env["MAILBANNER_STORAGE_DIR"]] == "images"
    assert policies_selecting(objects, prune), "no network policy lets it reach the banner database"
    assert not of_kind(render("dev"), "CronJob")  # dev keeps images in the API pod's emptyDir


def test_api_pods_carry_prometheus_scrape_annotations(objects: list[Obj]) -> None:
    annotations = pod(objects, "api").owner["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8000",
        "prometheus.io/path": "/metrics",
    }


def test_worker_memory_limit_leaves_room_for_every_pool_process_at_its_memory_guard() -> None:
    # Past the limit the kernel kills the pod mid-swap; the guard must replace a child long before.
    objects = render("dev")  # dev renders every source of the environment
    worker = pod(objects, "sync-worker")
    container = worker.container("sync-worker")
    settings = Settings.from_env(container_environment(objects, worker, container))
    concurrency = int(next(a for a in container["args"] if a.startswith("--concurrency=")).split("=")[1])
    limit = container["resources"]["limits"]["memory"]
    assert limit.endswith("Gi") or limit.endswith("Mi"), limit
    limit_mb = int(limit[:-2]) * (1024 if limit.endswith("Gi") else 1)
    main_process_mb = 200  # the worker's own process, as measured in the soak (docs/reliability.md)
    assert settings.worker_max_memory_mb > 0
    assert concurrency * settings.worker_max_memory_mb + main_process_mb < limit_mb


def test_worker_grace_period_outlasts_the_longest_swap(objects: list[Obj]) -> None:
    worker = pod(objects, "sync-worker")
    options = WorkerOptions()
    assert (
        worker.spec["terminationGracePeriodSeconds"]
        > options.time_limit_seconds
        > options.soft_time_limit_seconds
    )


def test_worker_liveness_pings_its_own_node_name(objects: list[Obj]) -> None:
    worker = pod(objects, "sync-worker")
    container = worker.container("sync-worker")
    # Kubernetes expands $(POD_NAME) in args; the probe's shell expands $POD_NAME from the same variable.
    assert "--hostname=sync@$(POD_NAME)" in container["args"]
    assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in container["env"]
    command = container["livenessProbe"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"]
    words = shlex.split(command[2])
    assert words[words.index("inspect") + 1] == "ping"
    assert words[words.index("--destination") + 1] == "sync@$POD_NAME"


def test_beat_runs_one_replica_replaced_without_overlap(objects: list[Obj]) -> None:
    beat = named(objects, "Deployment", "scheduler-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] != "scheduler-beat"


def test_api_and_worker_scale_with_autoscalers_that_own_their_replica_count(objects: list[Obj]) -> None:
    scaled = {}
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]["name"]
        scaled[target] = hpa
        assert "replicas" not in named(objects, "Deployment", target)["spec"], target
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert set(scaled) == {"banner-api", "sync-worker"}
    api_metrics = scaled["banner-api"]["spec"]["metrics"]
    assert [m["resource"]["name"] for m in api_metrics] == ["cpu"]


def test_prod_keeps_several_api_and_worker_pods_through_a_disruption() -> None:
    objects = render("prod")
    for name in ("banner-api", "sync-worker"):
        hpa = named(objects, "HorizontalPodAutoscaler", name)
        budget = named(objects, "PodDisruptionBudget", name)
        assert hpa["spec"]["minReplicas"] - budget["spec"]["maxUnavailable"] >= 1


def test_flower_cannot_start_without_basic_auth(objects: list[Obj]) -> None:
    flower = pod(objects, "flower").container("flower")
    auth = next(e for e in flower["env"] if e["name"] == "FLOWER_BASIC_AUTH")
    ref = auth["valueFrom"]["secretKeyRef"]
    assert ref["name"].startswith("mailbanner-flower-auth")
    assert ref.get("optional", False) is False


def test_migration_job_upgrades_the_database_with_the_api_image(objects: list[Obj]) -> None:
    job = pod(objects, "db-migrate")
    container = job.container("db-migrate")
    assert container["args"] == ["db", "upgrade"]
    assert "/banner-api" in container["image"]
    assert job.spec["restartPolicy"] == "Never"


@pytest.mark.parametrize("component", ["api", "sync-worker", "scheduler-beat", "flower", "db-migrate"])
def test_container_arguments_are_accepted_by_the_mailbanner_command(
    objects: list[Obj], component: str
) -> None:
    p = pod(objects, component)
    container = p.containers()[0]
    args = [arg.replace("$(POD_NAME)", "pod-0") for arg in container["args"]]
    command: click.Command = mailbanner
    while isinstance(command, click.Group):
        command = command.commands[args.pop(0)]
    # Parsing (not running) raises on an unknown option or a bad value, as the container would at start.
    command.make_context(command.name, args)


@pytest.mark.parametrize("component", ["api", "sync-worker", "scheduler-beat", "flower", "db-migrate"])
def test_container_environment_is_valid_mailbanner_settings(component: str) -> None:
    # Dev renders every source of the environment (prod's Secrets are created outside the repository).
    objects = render("dev")
    p = pod(objects, component)
    environment = container_environment(objects, p, p.containers()[0])
    settings = Settings.from_env(environment)
    assert settings.redis_url.startswith("redis://") or component == "db-migrate"
    assert settings.database_url.startswith("postgresql+psycopg://") or component in {
        "scheduler-beat",
        "flower",
    }


PRE_ROLLOUT_SELECTOR = "app.kubernetes.io/component notin (api,sync-worker,scheduler-beat,flower,image-prune)"


def test_pre_rollout_apply_holds_the_migration_and_all_it_needs_but_no_workload(objects: list[Obj]) -> None:
    # docs/deploy.md applies this selection first, waits for the Job, then applies everything.
    assert PRE_ROLLOUT_SELECTOR in (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    key, _, values = PRE_ROLLOUT_SELECTOR.partition(" notin ")
    selector = {
        "matchExpressions": [{"key": key, "operator": "NotIn", "values": values.strip("()").split(",")}]
    }
    first = [obj for obj in objects if selector_matches(selector, obj["metadata"].get("labels", {}))]
    first_names = {(obj["kind"], obj["metadata"]["name"]) for obj in first}
    migrate = pod(objects, "db-migrate")
    assert ("Job", "db-migrate") in first_names
    for name in config_map_names(migrate):
        assert ("ConfigMap", name) in first_names
    for name in secret_names(migrate) & {obj["metadata"]["name"] for obj in of_kind(objects, "Secret")}:
        assert ("Secret", name) in first_names
    for policy in policies_selecting(objects, migrate):
        assert ("NetworkPolicy", policy["metadata"]["name"]) in first_names
    mailbanner_deployments = {p.name for p in pods(objects) if p.kind == "Deployment"} - {"redis", "postgres"}
    assert not any(kind == "Deployment" and name in mailbanner_deployments for kind, name in first_names)
