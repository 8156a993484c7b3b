"""compose.yaml follows the Compose Specification and wires the whole platform together.

The Compose schema is vendored (tests-deploy/schemas, Apache-2.0), so nothing is
fetched; there is no Docker engine in CI, so the wiring is checked by reading.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from deploy_support import REPO, service_folders

from pathwise_devstack.services import SERVICES

pytestmark = pytest.mark.unit
SCHEMA = Path(__file__).with_name("schemas") / "compose-spec.json"
MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """YAML as Compose reads it: a key twice in one mapping (even `<<`) is an error."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    keys = [
        MERGE_TAG if key.tag == MERGE_TAG else loader.construct_object(key) for key, _ in node.value
    ]
    repeated = sorted({str(k) for k in keys if keys.count(k) > 1})
    if repeated:
        raise yaml.constructor.ConstructorError(
            None, None, f"duplicate key(s) {repeated}", node.start_mark
        )
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _compose() -> dict[str, Any]:
    text = (REPO / "compose.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.load(text, Loader=_StrictLoader)
    return loaded


def _services() -> dict[str, Any]:
    services: dict[str, Any] = _compose()["services"]
    return services


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(_compose())
    ]
    assert errors == []


def test_the_compose_check_rejects_an_unknown_key_and_a_repeated_one() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = _compose()
    broken["services"]["kafka"]["helthcheck"] = {}
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate"):
        yaml.load("a:\n  <<: {b: 1}\n  <<: {c: 2}\n", Loader=_StrictLoader)


def test_compose_runs_the_whole_platform_in_order() -> None:
    services = _services()
    infra = {"kafka", "postgres", "topics", "mailpit", "sms-sink", "otel-collector", "jaeger"}
    assert infra <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    kafka = services["kafka"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in kafka["volumes"] if v.startswith("./")}
    config = REPO / mounted["/etc/pathwise/kafka"] / "server.properties"
    assert "process.roles=broker,controller" in config.read_text(encoding="utf-8")
    for spec in SERVICES:
        service = services[spec.name]
        deps = service["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["topics"]["condition"] == "service_completed_successfully"
        assert service["environment"]["DATABASE_URL"].endswith(f"/{spec.database}")
    for name in ("kafka", "postgres", "mailpit", "sms-sink"):
        assert "healthcheck" in services[name], name


@pytest.mark.parametrize("folder", service_folders())
def test_every_service_folder_runs_from_the_one_dockerfile(folder: str) -> None:
    service = _services().get(folder)
    assert service is not None, f"compose.yaml does not run {folder}"
    build = service["build"]
    assert (build["context"], build.get("dockerfile", "Dockerfile")) == (".", "Dockerfile")
    assert build["target"] == "service"
    assert build["args"]["SERVICE"] == folder
    assert service["image"] == f"pathwise/{folder}:dev"
    port = str(build["args"].get("PORT", "8080"))
    assert service["environment"]["HTTP_PORT"] == port
    assert service["environment"]["SERVICE_NAME"] == folder


def test_every_kafka_client_logs_in_with_scram_as_the_broker_knows_it() -> None:
    """The broker formats its log with one SCRAM user; every client presents it."""
    services = _services()
    broker = services["kafka"]["environment"]
    folder = REPO / "deploy" / "compose" / "kafka"
    client = (folder / "client.properties").read_text(encoding="utf-8")
    server = (folder / "server.properties").read_text(encoding="utf-8")
    assert "--add-scram" in (folder / "start.sh").read_text(encoding="utf-8")
    password = broker["KAFKA_SASL_PASSWORD"]
    assert f'username="{broker["KAFKA_SASL_USERNAME"]}" password="{password}"' in client
    assert "sasl.enabled.mechanisms=SCRAM-SHA-512" in server
    props = dict(line.split("=", 1) for line in server.splitlines() if "=" in line[:60])
    protocols = dict(p.split(":") for p in props["listener.security.protocol.map"].split(","))
    # Only the controller's own listener, inside the container, goes without SASL.
    assert {n for n, p in protocols.items() if p == "PLAINTEXT"} == {"CONTROLLER"}
    for name, service in services.items():
        env = service.get("environment") or {}
        if "KAFKA_BOOTSTRAP_SERVERS" not in env:
            continue
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
        assert env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", name
        assert env["KAFKA_SASL_USERNAME"] == broker["KAFKA_SASL_USERNAME"], name
        assert env["KAFKA_SASL_PASSWORD"] == password, name


def test_the_sms_sink_is_the_provider_notify_svc_is_configured_with() -> None:
    services = _services()
    sink, notify = services["sms-sink"], services["notify-svc"]
    assert sink["build"]["target"] == "devtools"
    module = sink["entrypoint"][sink["entrypoint"].index("-m") + 1]
    assert importlib.util.find_spec(module) is not None, module
    url = urlsplit(notify["environment"]["SMS_PROVIDER_URL"])
    assert url.hostname == "sms-sink"
    assert str(url.port) == sink["environment"]["SMS_SINK_PORT"]
    assert notify["environment"]["SMS_PROVIDER"] in ("twilio", "vonage")
    for key in ("SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN"):
        assert notify["environment"][key] == sink["environment"][key], key
    assert notify["environment"]["SMS_FROM"].startswith("+")
    assert notify["depends_on"]["sms-sink"]["condition"] == "service_healthy"
    assert str(url.port) in " ".join(sink["healthcheck"]["test"])


def test_families_and_the_sink_reach_notify_svc_where_its_links_point() -> None:
    """Unsubscribe links open in the family's browser on the host; the sink calls back
    inside the network (and signs for that URL)."""
    notify = _services()["notify-svc"]
    env = notify["environment"]
    public, callback = urlsplit(env["NOTIFY_PUBLIC_URL"]), urlsplit(env["NOTIFY_CALLBACK_URL"])
    assert public.hostname == "localhost"
    assert f"{public.port}:{env['HTTP_PORT']}" in notify["ports"]
    assert (callback.hostname, str(callback.port)) == ("notify-svc", env["HTTP_PORT"])


def test_the_portal_reaches_every_service_and_needs_no_database() -> None:
    services = _services()
    portal = services["portal"]
    env = portal["environment"]
    assert "DATABASE_URL" not in env
    assert portal["ports"] == [f"{env['HTTP_PORT']}:{env['HTTP_PORT']}"]
    assert env["PATHWISE_PORTAL_SESSION_SECRET"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    for spec in SERVICES:
        url = urlsplit(env[spec.url_env])
        assert url.hostname == spec.name
        assert str(url.port) == services[spec.name]["environment"]["HTTP_PORT"]
        assert portal["depends_on"][spec.name]["condition"] == "service_healthy"
