"""One Dockerfile builds every image as promised; bake builds one per service folder.

Checked by parsing: there is no Docker engine in CI. The Dockerfile's `service`
target takes the folder under services/ as SERVICE, so a new folder needs a bake
target, a module with `__main__` and nothing else.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from deploy_support import (
    REPO,
    Stage,
    dockerignore,
    dockerignore_includes,
    effective,
    lineage,
    module_of,
    parse_dockerfile,
    service_folders,
)

pytestmark = pytest.mark.unit
DOCKERFILE = REPO / "Dockerfile"
FINAL_STAGES = ("service", "devtools")
BUILD_TOOLS = re.compile(
    r"\b(pip3?|uv|apt-get|apk|gcc|g\+\+|make|build-essential)\b\s+(install|add|sync)\b"
    r"|\bbuild-essential\b|\bgcc\b"
)
ROOT_USERS = ("root", "0")


def _stages() -> dict[str, Stage]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def _bake_targets() -> dict[str, str]:
    """Target name -> the body of its block in docker-bake.hcl."""
    bake = (REPO / "docker-bake.hcl").read_text(encoding="utf-8")
    return dict(re.findall(r'^target "([^"]+)" \{\n(.*?)^\}', bake, flags=re.M | re.S))


def _bake_default_group() -> set[str]:
    bake = (REPO / "docker-bake.hcl").read_text(encoding="utf-8")
    default = re.search(r'group "default" \{\s*targets = \[([^\]]*)\]', bake)
    assert default is not None, "docker-bake.hcl has no default group"
    return set(re.findall(r'"([^"]+)"', default.group(1)))


def test_one_dockerfile_builds_every_image() -> None:
    dockerfiles = [
        p.relative_to(REPO).as_posix()
        for p in REPO.rglob("Dockerfile*")
        if not {".venv", ".git", "node_modules"} & set(p.parts)
    ]
    assert dockerfiles == ["Dockerfile"]


@pytest.mark.parametrize("target", FINAL_STAGES)
def test_final_images_are_multistage_nonroot_and_lean(target: str) -> None:
    stages = _stages()
    chain = lineage(stages, target)
    users = effective(stages, target, "USER")
    assert users and users[-1].split(":")[0] not in ROOT_USERS, "final image runs as non-root"
    for stage in chain:
        for run in stage.all("RUN"):
            assert not BUILD_TOOLS.search(run.replace("pip uninstall", "")), f"build tool: {run}"
    copies = [c for stage in chain for c in stage.all("COPY")]
    sources = {m for c in copies for m in re.findall(r"--from=(\S+)", c)}
    assert sources, "the final stage copies the built app only"
    for source in sources:
        builds = lineage(stages, source)
        runs = " ".join(r for stage in builds for r in stage.all("RUN"))
        assert "uv pip install" in runs and "--constraint requirements.lock" in runs, source
    for keyword in ("ENTRYPOINT", "CMD"):
        for args in effective(stages, target, keyword):
            assert isinstance(json.loads(args), list), f"{keyword} in exec form: {args}"


def test_the_service_image_is_healthchecked_and_carries_its_migrations() -> None:
    stages = _stages()
    health = effective(stages, "service", "HEALTHCHECK")
    assert health and "/healthz" in health[-1]
    assert isinstance(json.loads(health[-1].split(" CMD ", 1)[1]), list)
    build = stages["service-build"]
    assert "SERVICE" in build.all("ARG")
    assert any("services/${SERVICE}/ services/${SERVICE}/" in c for c in build.all("COPY"))
    run = " ".join(build.all("RUN"))
    assert "tr '-' '_'" in run and "runpy.run_module" in run, "runs `python -m <module>`"
    assert json.loads(stages["service"].all("ENTRYPOINT")[-1]) == ["pathwise-service"]


def test_the_build_context_holds_sources_and_migrations_but_no_local_state() -> None:
    patterns = dockerignore()
    wanted = ["requirements.lock", "contracts/pyproject.toml", "libs/pathwise-devstack/src"]
    for folder in service_folders():
        service = REPO / "services" / folder
        wanted += [f"services/{folder}/pyproject.toml", f"services/{folder}/src"]
        wanted += [p.relative_to(REPO).as_posix() for p in service.glob("migrations/*")]
    missing = [path for path in wanted if not dockerignore_includes(patterns, path)]
    assert missing == []
    kept_out = [".venv/bin/python", ".git/config", ".pathwise/state", "services/path-svc/tests"]
    kept_out += ["contracts/src/pathwise_contracts/__pycache__/x.pyc", "README.md"]
    leaked = [path for path in kept_out if dockerignore_includes(patterns, path)]
    assert leaked == []


@pytest.mark.parametrize("folder", service_folders())
def test_every_service_folder_has_a_bake_target_and_a_runnable_module(folder: str) -> None:
    target = _bake_targets().get(folder)
    assert target is not None, f"docker-bake.hcl has no target {folder!r}"
    assert re.search(rf'SERVICE\s*=\s*"{re.escape(folder)}"', target), target
    assert '"_service"' in target, f"{folder} builds the Dockerfile's `service` stage"
    assert folder in _bake_default_group()
    main = REPO / "services" / folder / "src" / module_of(folder) / "__main__.py"
    assert main.is_file(), f"the image runs `python -m {module_of(folder)}`: no {main}"


def test_bake_targets_name_existing_folders_and_stages() -> None:
    targets = _bake_targets()
    stages = _stages()
    assert 'dockerfile = "Dockerfile"' in targets["_common"]
    for name, body in targets.items():
        stage = re.search(r'^\s*target\s*=\s*"([^"]+)"', body, flags=re.M)
        if stage:
            assert stage.group(1) in stages, f"{name}: no stage {stage.group(1)}"
        service = re.search(r'SERVICE\s*=\s*"([^"]+)"', body)
        if service:
            assert service.group(1) == name
            assert (REPO / "services" / name / "pyproject.toml").is_file(), name
    assert _bake_default_group() == set(service_folders()) | {"devtools"}
    assert re.search(r'^\s*target\s*=\s*"devtools"', targets["devtools"], flags=re.M)


def test_no_image_runs_as_root() -> None:
    """Every stage an image is made of ends as UID 10001; no compose service overrides it."""
    stages = _stages()
    for target in FINAL_STAGES:
        users = effective(stages, target, "USER")
        assert users[-1] == "10001:10001", target
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        user = str(service.get("user", ""))
        assert user.split(":")[0] not in ROOT_USERS, f"compose service {name} runs as root"


def test_the_root_user_check_catches_a_root_image() -> None:
    broken = DOCKERFILE.read_text(encoding="utf-8") + "\nUSER root\n"
    stages = parse_dockerfile(broken)
    assert effective(stages, "service", "USER")[-1] == "root"
