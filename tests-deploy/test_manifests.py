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
from deploy_support import DEPLOY, OVERLAYS, by_kind, crd_folder, crd_schemas, render

from pathwise_contracts import all_topics
from pathwise_devstack import manifests
from pathwise_devstack.services import SERVICES

pytestmark = pytest.mark.unit
KUBERNETES_VERSION = "1.32.0"
OPERATOR_GROUPS = ("kafka.strimzi.io/", "postgresql.cnpg.io/", "keda.sh/")
SVC_NAMES = [s.name for s in SERVICES]


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
        missing = set(SVC_NAMES) - names - set(by_kind(docs, kind))
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
            if name in SVC_NAMES:
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
                if any(s in env["name"] for s in sensitive):
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
    for name, content in manifests.render().items():
        path = DEPLOY / "base" / "generated" / name
        assert path.read_text(encoding="utf-8") == content, (
            f"{path} is stale: run `python -m pathwise_devstack.manifests deploy/base/generated`"
        )


def overlay_path(overlay: str) -> str:
    return f"overlays/{overlay}"
