"""The web tier never touches a delivery database: no credential, Secret or target URL reaches the API,
beat or Flower pods, and only the worker's network policy opens the delivery databases' ports."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from banner_common.targets import load_targets
from tests.deploy.manifests import (
    DELIVERY_DB_PORTS,
    TARGET_CREDENTIALS_SECRET,
    Obj,
    Pod,
    container_environment,
    generated,
    is_named,
    pod,
    pods,
    policies_selecting,
    secret_names,
    selector_matches,
    strings,
)

DELIVERY_URL = re.compile(r"\b(mssql|db2|ibm_db_sa|ibm_db|iris)[+:]|\bDriver=|ODBC Driver", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def _targets(objects: list[Obj]) -> dict[str, Any]:
    config_map = generated(objects, "ConfigMap", "mailbanner-targets")
    targets: dict[str, Any] = tomllib.loads(config_map["data"]["targets.toml"])["targets"]
    return targets


def _delivery_hosts(objects: list[Obj]) -> set[str]:
    """Host names the targets file reveals (none where a whole URL is a placeholder)."""
    hosts = set()
    for spec in _targets(objects).values():
        rest = spec["url"].partition("://")[2]
        host = rest.rpartition("@")[2].split("/")[0].split(":")[0].split(";")[0]
        if host:
            hosts.add(host)
    return hosts


def test_only_the_worker_can_read_the_target_credentials(objects: list[Obj]) -> None:
    readers = {
        p.component
        for p in pods(objects)
        if any(is_named(name, TARGET_CREDENTIALS_SECRET) for name in secret_names(p))
    }
    assert readers == {"sync-worker"}


@pytest.mark.parametrize("component", ["api", "scheduler-beat", "flower", "db-migrate"])
def test_web_beat_flower_and_migration_pods_hold_no_delivery_url(objects: list[Obj], component: str) -> None:
    target = pod(objects, component)
    hosts = _delivery_hosts(objects)
    for container in target.containers():
        environment = container_environment(objects, target, container)
        for text in [*strings(target.spec), *environment.values()]:
            assert not DELIVERY_URL.search(text), (component, text)
            # Dev stand-ins share the dev PostgreSQL with the banner database; only prod hosts are distinct.
            if "postgres" not in hosts:
                assert not any(host in text for host in hosts), (component, text)


@pytest.mark.parametrize("component", ["scheduler-beat", "flower", "db-migrate"])
def test_beat_flower_and_migration_do_not_mount_the_targets_file(objects: list[Obj], component: str) -> None:
    target = pod(objects, component)
    volumes = target.spec.get("volumes", [])
    assert not any(is_named(v.get("configMap", {}).get("name", ""), "mailbanner-targets") for v in volumes)
    environment = container_environment(objects, target, target.containers()[0])
    assert "MAILBANNER_TARGETS_FILE" not in environment


def test_the_targets_file_loads_and_keeps_every_credential_a_placeholder(
    objects: list[Obj], tmp_path: Any
) -> None:
    # The API mounts this file (names, priority conventions, display): it must hold no literal secret.
    config_map = generated(objects, "ConfigMap", "mailbanner-targets")
    path = tmp_path / "targets.toml"
    path.write_text(config_map["data"]["targets.toml"], encoding="utf-8")
    specs = load_targets(path)
    assert specs
    for spec in specs.values():
        if PLACEHOLDER.match(spec.url):
            continue  # the whole URL, address and credentials, comes from the worker's Secret
        userinfo = spec.url.partition("://")[2].rpartition("@")[0]
        assert userinfo, spec.name
        for part in userinfo.split(":"):
            assert PLACEHOLDER.match(part), (spec.name, part)


def test_prod_targets_file_reveals_no_delivery_address() -> None:
    from tests.deploy.manifests import render

    objects = render("prod")
    assert _targets(objects)
    assert all(PLACEHOLDER.match(spec["url"]) for spec in _targets(objects).values())
    assert _delivery_hosts(objects) == set()


def test_dev_target_credentials_secret_fills_every_placeholder() -> None:
    from tests.deploy.manifests import render

    objects = render("dev")
    worker = pod(objects, "sync-worker")
    environment = container_environment(objects, worker, worker.container("sync-worker"))
    for spec in _targets(objects).values():
        for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", spec["url"]):
            assert name in environment, name


def _egress_rules(policy: Obj) -> list[Obj]:
    rules: list[Obj] = policy["spec"].get("egress", [])
    return rules


def _opens_delivery_port(rule: Obj) -> bool:
    ports = rule.get("ports")
    if not ports:  # a rule without ports opens every port
        return True
    return any(
        p.get("port") in DELIVERY_DB_PORTS
        or ("endPort" in p and p["port"] <= max(DELIVERY_DB_PORTS) and p["endPort"] >= min(DELIVERY_DB_PORTS))
        for p in ports
    )


def _selected_components(objects: list[Obj], policy: Obj) -> set[str]:
    return {p.component for p in pods(objects) if selector_matches(policy["spec"]["podSelector"], p.labels)}


def test_only_the_worker_policy_opens_the_delivery_database_ports(objects: list[Obj]) -> None:
    opening = [
        policy
        for policy in objects
        if policy["kind"] == "NetworkPolicy" and any(_opens_delivery_port(r) for r in _egress_rules(policy))
    ]
    assert [p["metadata"]["name"] for p in opening] == ["egress-delivery-databases"]
    assert _selected_components(objects, opening[0]) == {"sync-worker"}
    for rule in _egress_rules(opening[0]):
        assert all("ipBlock" in peer for peer in rule["to"]), "delivery databases are addressed by CIDR only"


def _allowed_egress(objects: list[Obj], target: Pod) -> list[tuple[Obj, int, str]]:
    """(peer, port, protocol) for every egress the policies selecting the pod allow."""
    allowed = []
    for policy in policies_selecting(objects, target):
        for rule in _egress_rules(policy):
            assert rule.get("to"), (
                f"{policy['metadata']['name']}: an egress rule without peers allows anywhere"
            )
            assert rule.get("ports"), f"{policy['metadata']['name']}: an egress rule without ports allows all"
            for peer in rule["to"]:
                for port in rule["ports"]:
                    assert "endPort" not in port
                    allowed.append((peer, port["port"], port.get("protocol", "TCP")))
    return allowed


@pytest.mark.parametrize(
    ("component", "ports"),
    [
        ("api", {5432, 6379}),
        ("scheduler-beat", {6379}),
        ("flower", {6379}),
        ("db-migrate", {5432}),
        ("sync-worker", {5432, 6379, 1433, 50001}),
    ],
)
def test_each_pod_may_reach_only_dns_and_its_own_services(
    objects: list[Obj], component: str, ports: set[int]
) -> None:
    allowed = _allowed_egress(objects, pod(objects, component))
    dns = {(proto, port) for peer, port, proto in allowed if port == 53}
    assert dns <= {("UDP", 53), ("TCP", 53)}
    assert {port for _peer, port, _proto in allowed if port != 53} == ports


def test_every_pod_starts_from_deny_all(objects: list[Obj]) -> None:
    deny = [
        policy
        for policy in objects
        if policy["kind"] == "NetworkPolicy"
        and policy["spec"]["podSelector"] == {}
        and set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not policy["spec"].get("ingress")
        and not policy["spec"].get("egress")
    ]
    assert len(deny) == 1


def test_dns_egress_goes_only_to_the_cluster_dns(objects: list[Obj]) -> None:
    for policy in objects:
        if policy["kind"] != "NetworkPolicy":
            continue
        for rule in _egress_rules(policy):
            if any(p.get("port") == 53 for p in rule.get("ports", [])):
                for peer in rule["to"]:
                    assert peer["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
                    assert "ipBlock" not in peer


def test_only_the_api_and_flower_accept_connections_from_outside_the_namespace(objects: list[Obj]) -> None:
    open_to = set()
    for policy in objects:
        if policy["kind"] != "NetworkPolicy":
            continue
        for rule in policy["spec"].get("ingress", []):
            peers = rule.get("from", [])
            if not peers or any("ipBlock" in p or "namespaceSelector" in p for p in peers):
                open_to |= _selected_components(objects, policy)
    assert open_to == {"api", "flower"}


def test_delivery_addresses_appear_only_in_the_worker_policy(objects: list[Obj]) -> None:
    worker_policy = next(
        p
        for p in objects
        if p["kind"] == "NetworkPolicy" and p["metadata"]["name"] == "egress-delivery-databases"
    )
    delivery_cidrs = {peer["ipBlock"]["cidr"] for rule in _egress_rules(worker_policy) for peer in rule["to"]}
    api = pod(objects, "api")
    for peer, _port, _proto in _allowed_egress(objects, api):
        assert peer.get("ipBlock", {}).get("cidr") not in delivery_cidrs
