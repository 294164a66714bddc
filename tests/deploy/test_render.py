"""Each overlay renders, every object is valid Kubernetes, every reference resolves, yamllint is clean."""

from __future__ import annotations

import kubernetes_validate
import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

from tests.deploy.manifests import (
    K8S,
    KUBERNETES_VERSION,
    ROOT,
    Obj,
    config_map_names,
    named,
    of_kind,
    pods,
    secret_names,
    selector_matches,
)

# Production Secrets hold real credentials and are created outside the repository (docs/deploy.md).
OUT_OF_BAND_SECRETS = {
    "prod": {
        "mailbanner-banner-db",
        "mailbanner-redis",
        "mailbanner-target-credentials",
        "mailbanner-flower-auth",
    },
    "dev": set(),
}


def test_every_rendered_object_is_valid_for_the_pinned_kubernetes_version(objects: list[Obj]) -> None:
    assert objects
    for obj in objects:
        # strict: an unknown (for example misspelt) field is an error, not silently dropped by the API server.
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_schema_validation_rejects_a_misspelt_field() -> None:
    broken = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x"},
        "datta": {"a": "b"},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_config_map_and_secret_a_pod_uses_is_rendered_or_documented(
    overlay: str, objects: list[Obj]
) -> None:
    config_maps = {obj["metadata"]["name"] for obj in of_kind(objects, "ConfigMap")}
    secrets = {obj["metadata"]["name"] for obj in of_kind(objects, "Secret")}
    for pod in pods(objects):
        assert config_map_names(pod) <= config_maps, pod.name
        assert secret_names(pod) - secrets <= OUT_OF_BAND_SECRETS[overlay], pod.name


def test_services_autoscalers_and_budgets_point_at_rendered_workloads(objects: list[Obj]) -> None:
    templates = [p.labels for p in pods(objects)]
    for service in of_kind(objects, "Service"):
        assert any(selector_matches({"matchLabels": service["spec"]["selector"]}, t) for t in templates)
    for budget in of_kind(objects, "PodDisruptionBudget"):
        assert any(selector_matches(budget["spec"]["selector"], t) for t in templates)
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        assert named(objects, ref["kind"], ref["name"])


def test_every_object_is_labelled_part_of_mailbanner(objects: list[Obj]) -> None:
    for obj in objects:
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "mailbanner", obj["metadata"]["name"]


def test_every_object_lives_in_the_overlay_namespace(overlay: str, objects: list[Obj]) -> None:
    expected = {"dev": "mailbanner-dev", "prod": "mailbanner"}[overlay]
    assert {obj["metadata"]["namespace"] for obj in objects} == {expected}


def test_prod_runs_released_images_from_its_registry() -> None:
    from tests.deploy.manifests import render

    for pod in pods(render("prod")):
        for container in pod.containers():
            image = container["image"]
            assert image.startswith("registry.example.com/mailbanner/"), image
            assert ":" in image.rsplit("/", 1)[1], image
            assert not image.endswith((":latest", ":dev")), image


def test_manifests_pass_yamllint() -> None:
    config = YamlLintConfig(file=str(ROOT / ".yamllint.yaml"))
    files = [*sorted(K8S.rglob("*.yaml")), ROOT / ".yamllint.yaml"]
    assert len(files) > 10
    problems = [
        f"{path.relative_to(ROOT)}:{problem.line}: {problem.desc}"
        for path in files
        for problem in linter.run(path.read_text(encoding="utf-8"), config, str(path))
    ]
    assert problems == []
