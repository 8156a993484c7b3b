"""deploy/ renders with kustomize and every resource is valid where it will be applied.

Built-in kinds are checked against the Kubernetes OpenAPI schemas (strict: unknown
fields fail) bundled in `kubernetes-validate`; Strimzi, CloudNativePG and KEDA
resources against the CRDs those operators publish (`../shared/crds`).
"""

from __future__ import annotations

from typing import Any

import jsonschema
import kubernetes_validate
import pytest
from deploy_support import (
    DEPLOY,
    OVERLAYS,
    by_kind,
    crd_folder,
    crd_schemas,
    render,
    service_folders,
)

from pathwise_contracts import all_topics
from pathwise_devstack import manifests
from pathwise_devstack.services import SERVICES

pytestmark = pytest.mark.unit
KUBERNETES_VERSION = "1.32.0"
OPERATOR_GROUPS = ("kafka.strimzi.io/", "postgresql.cnpg.io/", "keda.sh/")
SVC_NAMES = [s.name for s in SERVICES]
# Operator kinds whose CRD is not among the published ones the tests read.
UNPUBLISHED = {"KafkaUser"}
# Everything under services/ is deployed: the four services and the portal.
DEPLOYABLES = service_folders()


def _is_operator_kind(doc: dict[str, Any]) -> bool:
    return str(doc["apiVersion"]).startswith(OPERATOR_GROUPS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_builtin_resources_match_the_kubernetes_schemas(overlay: str) -> None:
    errors = []
    for doc in render(f"overlays/{overlay}"):
        if _is_operator_kind(doc):
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {exc.path}")
    assert errors == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_operator_resources_match_the_published_crds(overlay: str) -> None:
    folder = crd_folder()
    if folder is None:
        pytest.skip("no CRDs in ../shared/crds (or $PATHWISE_SHARED_CRDS): CRD schemas not checked")
    schemas = crd_schemas(folder)
    checked, errors = 0, []
    for doc in render(f"overlays/{overlay}"):
        if not _is_operator_kind(doc):
            continue
        schema = schemas.get((doc["apiVersion"], doc["kind"]))
        if schema is None and doc["kind"] in UNPUBLISHED:
            continue  # checked by shape in test_every_deployable_signs_in_as_its_own_kafka_user
        assert schema is not None, f"no CRD for {doc['apiVersion']} {doc['kind']}"
        validator = jsonschema.Draft4Validator(schema)
        for error in validator.iter_errors(doc):
            path = "/".join(str(p) for p in error.absolute_path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']} {path}: {error.message}")
        checked += 1
    assert errors == []
    assert checked >= len(all_topics()) + 2 * len(SERVICES)


def test_the_crd_check_rejects_an_unknown_field() -> None:
    folder = crd_folder()
    if folder is None:
        pytest.skip("no CRDs in ../shared/crds (or $PATHWISE_SHARED_CRDS): CRD schemas not checked")
    topic = dict(by_kind(render("overlays/dev"), "KafkaTopic")["assessment-events-v1"])
    topic["spec"] = {**topic["spec"], "partitons": 3}
    schema = crd_schemas(folder)[("kafka.strimzi.io/v1", "KafkaTopic")]
    assert not jsonschema.Draft4Validator(schema).is_valid(topic)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_its_resources(overlay: str) -> None:
    docs = render(f"overlays/{overlay}")
    for kind in ("Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "NetworkPolicy"):
        names = {n.rsplit("-", 1)[0] if kind == "ConfigMap" else n for n in by_kind(docs, kind)}
        missing = set(DEPLOYABLES) - names - set(by_kind(docs, kind))
        assert not missing, f"{overlay}: no {kind} for {missing}"
    assert set(by_kind(docs, "ScaledObject")) == set(SVC_NAMES)
    databases = {s.database for s in SERVICES}
    assert set(by_kind(docs, "Cluster")) == {f"pg-{d}" for d in databases}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_locked_down_probed_and_bounded(overlay: str) -> None:
    for name, deployment in by_kind(render(f"overlays/{overlay}"), "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            if name in DEPLOYABLES:
                assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
                assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
                grace = pod["terminationGracePeriodSeconds"]
                config = by_kind(render(f"overlays/{overlay}"), "ConfigMap")
                shutdown = next(
                    float(c["data"]["SHUTDOWN_GRACE_S"])
                    for n, c in config.items()
                    if n.startswith(name) and "SHUTDOWN_GRACE_S" in c.get("data", {})
                )
                assert shutdown + 5 < grace, f"{name}: SIGTERM drain must fit the grace period"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_inlined(overlay: str) -> None:
    sensitive = ("DATABASE_URL", "PASSWORD", "SECRET", "PII_KEY", "USERNAME")
    docs = render(f"overlays/{overlay}")
    for name, deployment in by_kind(docs, "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if env["name"] == "KAFKA_SASL_USERNAME":  # a principal's name, as in the ACLs
                    assert env.get("value") == name, f"{name} signs in as another KafkaUser"
                elif any(s in env["name"] for s in sensitive):
                    assert "secretKeyRef" in env.get("valueFrom", {}), f"{name}: {env['name']}"
    for name, config in by_kind(docs, "ConfigMap").items():
        leaked = [k for k in config.get("data", {}) if any(s in k for s in sensitive)]
        assert not leaked, f"ConfigMap {name} holds {leaked}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_topic_and_dlq_is_a_kafka_topic_as_registered(overlay: str) -> None:
    topics = {
        t["spec"]["topicName"]: t["spec"]
        for t in by_kind(render(overlay_path(overlay)), "KafkaTopic").values()
    }
    assert set(topics) == {t.name for t in all_topics()}
    for topic in all_topics():
        spec = topics[topic.name]
        assert spec["partitions"] == topic.partitions
        assert spec["config"]["retention.ms"] == str(topic.retention_ms)
        assert spec["config"]["cleanup.policy"] == topic.cleanup_policy


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_scalers_follow_every_consumer_group_and_stay_within_partitions(overlay: str) -> None:
    partitions = {t.name: t.partitions for t in all_topics()}
    scalers = by_kind(render(overlay_path(overlay)), "ScaledObject")
    groups = manifests.consumers()
    for name, scaler in scalers.items():
        triggers = {
            (t["metadata"]["consumerGroup"], t["metadata"]["topic"])
            for t in scaler["spec"]["triggers"]
        }
        expected = {(c.group, t) for c in groups if c.service == name for t in c.topics}
        assert triggers == expected, name
        assert scaler["spec"]["scaleTargetRef"]["name"] == name
        limit = min(partitions[t] for _, t in triggers)
        assert scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"] <= limit


def test_generated_manifests_are_current() -> None:
    for folder, files in (
        (DEPLOY / "base" / "generated", manifests.render()),
        (DEPLOY / "overlays" / "production" / "generated", manifests.render_production()),
    ):
        for name, content in files.items():
            path = folder / name
            regenerate = "python -m pathwise_devstack.manifests deploy/base/generated"
            assert path.read_text(encoding="utf-8") == content, f"{path} is stale: {regenerate}"


def test_every_deployable_signs_in_as_its_own_kafka_user() -> None:
    """Production: TLS + SCRAM for every client, ACLs no wider than what each one uses."""
    docs = render("overlays/production")
    users = by_kind(docs, "KafkaUser")
    groups = manifests.consumers()
    owners = {"assessment": "assessment-svc", "profile": "profile-svc", "path": "path-svc"}
    owners["notify"] = "notify-svc"
    for name, deployment in by_kind(docs, "Deployment").items():
        user = users[name]["spec"]
        assert user["authentication"] == {"type": "scram-sha-512"}
        acls = user["authorization"]["acls"]
        reads = {a["resource"]["name"] for a in acls if "Read" in a["operations"]}
        writes = {a["resource"]["name"] for a in acls if "Write" in a["operations"]}
        used = {t for c in groups if c.service == name for t in c.topics}
        assert used <= reads, name
        for topic in writes - {t for t in writes if t.endswith(".dlq")}:
            assert owners[topic.split(".")[0]] == name, (name, topic)  # only its own events
        assert "assessment.submissions.v1" not in writes  # the vendors' door, not a service's
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["KAFKA_SASL_USERNAME"]["value"] == name
        assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == name
    config = by_kind(docs, "ConfigMap")["pathwise-common"]["data"]
    assert config["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config["KAFKA_BOOTSTRAP_SERVERS"].endswith(":9093")


def overlay_path(overlay: str) -> str:
    return f"overlays/{overlay}"


def test_every_folder_under_services_is_deployed_from_the_base() -> None:
    listed = (DEPLOY / "base" / "kustomization.yaml").read_text(encoding="utf-8")
    for folder in DEPLOYABLES:
        assert f"services/{folder}.yaml" in listed, f"deploy/base does not deploy {folder}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pathwise_image_is_pinned_by_the_overlay(overlay: str) -> None:
    for name, deployment in by_kind(render(overlay_path(overlay)), "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            image = container["image"]
            if image.startswith("pathwise/"):
                assert not image.endswith(":latest"), f"{overlay}: {name} runs {image}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_portal_has_no_database_and_talks_only_to_the_services_and_kafka(
    overlay: str,
) -> None:
    docs = render(overlay_path(overlay))
    deployment = by_kind(docs, "Deployment")["portal"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"] for e in container.get("env", [])}
    assert "DATABASE_URL" not in env and "PATHWISE_PII_KEY" not in env
    assert "PATHWISE_PORTAL_SESSION_SECRET" in env
    assert "portal" not in {n.removeprefix("pg-") for n in by_kind(docs, "Cluster")}
    assert "portal" not in by_kind(docs, "ScaledObject")
    port = container["ports"][0]["containerPort"]
    config = next(c for n, c in by_kind(docs, "ConfigMap").items() if n.startswith("portal"))
    assert config["data"]["HTTP_PORT"] == str(port)

    policy = by_kind(docs, "NetworkPolicy")["portal"]["spec"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    sources = [peer for rule in policy["ingress"] for peer in rule["from"]]
    assert all("podSelector" not in peer for peer in sources), "only the ingress controller"
    assert {"pathwise.io/ingress": "true"} in [
        peer.get("namespaceSelector", {}).get("matchLabels") for peer in sources
    ]
    reached: set[str] = set()
    for rule in policy["egress"]:
        ports = {p["port"] for p in rule.get("ports", [])}
        for peer in rule["to"]:
            selector = peer.get("podSelector", {})
            assert "cnpg.io/cluster" not in selector.get("matchLabels", {}), "no database"
            for expression in selector.get("matchExpressions", []):
                if expression["key"] == "app.kubernetes.io/name" and 8080 in ports:
                    reached |= set(expression["values"])
            if selector.get("matchLabels", {}).get("strimzi.io/cluster") and 9092 in ports:
                reached.add("kafka")
    assert reached == {*SVC_NAMES, "kafka"}


def test_production_exposes_the_portal_through_an_ingress_with_tls() -> None:
    docs = render(overlay_path("production"))
    ingress = by_kind(docs, "Ingress")["portal"]["spec"]
    service = by_kind(docs, "Service")["portal"]["spec"]
    backends = [
        path["backend"]["service"] for rule in ingress["rules"] for path in rule["http"]["paths"]
    ]
    assert backends and all(b["name"] == "portal" for b in backends)
    named = {p["name"] for p in service["ports"]}
    assert all(b["port"].get("name") in named for b in backends)
    hosts = {h for tls in ingress["tls"] for h in tls["hosts"]}
    assert {rule["host"] for rule in ingress["rules"]} <= hosts
    config = next(c for n, c in by_kind(docs, "ConfigMap").items() if n.startswith("portal"))
    assert config["data"]["PATHWISE_PORTAL_COOKIE_SECURE"] == "true"
    assert config["data"]["PATHWISE_PORTAL_PUBLIC_URL"].startswith("https://")


def test_the_dev_cluster_sends_texts_to_the_sms_sink() -> None:
    docs = render(overlay_path("dev"))
    config = next(
        c["data"]
        for n, c in by_kind(docs, "ConfigMap").items()
        if n.startswith("notify-svc") and "SMS_PROVIDER_URL" in c.get("data", {})
    )
    host, _, port = config["SMS_PROVIDER_URL"].removeprefix("http://").partition(":")
    service = by_kind(docs, "Service")[host]
    assert int(port) in {p["port"] for p in service["spec"]["ports"]}
    sink = by_kind(docs, "Deployment")[host]["spec"]["template"]["spec"]["containers"][0]
    notify = by_kind(docs, "Deployment")["notify-svc"]["spec"]["template"]["spec"]
    secrets = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in notify["containers"][0]["env"]
        if e["name"].startswith("SMS_")
    }
    for env in sink["env"]:
        if env["name"] in secrets:
            ref, expected = env["valueFrom"]["secretKeyRef"], secrets[env["name"]]
            assert (ref["name"], ref["key"]) == (expected["name"], expected["key"]), env["name"]
    egress = by_kind(docs, "NetworkPolicy")["notify-svc"]["spec"]["egress"]
    assert any(
        peer.get("podSelector", {}).get("matchLabels") == {"app.kubernetes.io/name": host}
        and int(port) in {p["port"] for p in rule["ports"]}
        for rule in egress
        for peer in rule["to"]
    )
