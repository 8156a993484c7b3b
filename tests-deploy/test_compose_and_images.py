"""compose.yaml follows the Compose Specification; each image is built as promised.

The Compose schema is vendored (tests-deploy/schemas, Apache-2.0), so nothing is
fetched. Dockerfiles are checked by parsing: there is no Docker engine in CI.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_support import REPO

from pathwise_devstack.services import SERVICES

pytestmark = pytest.mark.unit
SCHEMA = Path(__file__).with_name("schemas") / "compose-spec.json"
BUILD_TOOLS = re.compile(
    r"\b(pip3?|uv|apt-get|apk|gcc|g\+\+|make|build-essential)\b\s+(install|add|sync)\b"
    r"|\bbuild-essential\b|\bgcc\b"
)


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def test_compose_file_matches_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(_compose())
    ]
    assert errors == []


def test_the_compose_check_rejects_an_unknown_key() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = _compose()
    broken["services"]["kafka"]["helthcheck"] = {}
    assert not jsonschema.Draft7Validator(schema).is_valid(broken)


def test_compose_runs_the_whole_platform_in_order() -> None:
    services = _compose()["services"]
    assert {"kafka", "postgres", "topics", "mailpit", "otel-collector", "jaeger"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    for spec in SERVICES:
        service = services[spec.name]
        assert service["build"]["dockerfile"] == f"services/{spec.name}/Dockerfile"
        deps = service["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["topics"]["condition"] == "service_completed_successfully"
        assert service["environment"]["DATABASE_URL"].endswith(f"/{spec.database}")
    for name in ("kafka", "postgres"):
        assert "healthcheck" in services[name]


@dataclass
class Stage:
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse_dockerfile(text: str) -> list[Stage]:
    """Stages of a Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    stages: list[Stage] = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = args.split()
            stages.append(Stage(parts[2] if len(parts) > 2 else str(len(stages))))
        elif stages:
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
def test_dockerfile_is_multistage_nonroot_healthchecked_and_lean(service: str) -> None:
    stages = parse_dockerfile((REPO / "services" / service / "Dockerfile").read_text("utf-8"))
    assert len(stages) >= 2, "multi-stage: dependencies are built apart from the final image"
    build, final = stages[0], stages[-1]
    assert any("uv pip install" in run or "uv sync" in run for run in build.all("RUN"))
    users = final.all("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0"), "final image runs as non-root"
    health = final.all("HEALTHCHECK")
    assert health and "/healthz" in health[-1]
    for run in final.all("RUN"):
        assert not BUILD_TOOLS.search(run.replace("pip uninstall", "")), f"build tool: {run}"
    copies = " ".join(final.all("COPY"))
    assert f"--from={build.name}" in copies, "the final stage copies the built app only"
    migrations = " ".join(build.all("COPY"))
    assert f"services/{service}/migrations" in migrations, "migrations travel in the image"
    module = service.replace("-", "_")
    assert final.all("ENTRYPOINT")[-1] == f'["python", "-m", "{module}"]'


def test_bake_builds_every_service_image() -> None:
    bake = (REPO / "docker-bake.hcl").read_text(encoding="utf-8")
    default = re.search(r'group "default" \{\s*targets = \[([^\]]*)\]', bake)
    assert default is not None
    targets = set(re.findall(r'"([^"]+)"', default.group(1)))
    assert targets == {s.name for s in SERVICES}
    for spec in SERVICES:
        assert f'dockerfile = "services/{spec.name}/Dockerfile"' in bake
