"""Helpers for the deployment tests: the repository, kustomize, CRD schemas, Dockerfiles.

Kept apart from the tests so each test reads as the property it checks.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
OVERLAYS = ("dev", "production")
CRDS_ENV = "PATHWISE_SHARED_CRDS"


def kustomize_command() -> list[str]:
    """`kubectl kustomize` or a standalone `kustomize build`, whichever is installed."""
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    if kustomize := shutil.which("kustomize"):
        return [kustomize, "build"]
    pytest.skip(
        "rendering deploy/ needs kubectl (>= 1.27, kustomize v5 built in) or kustomize (>= 5) "
        "on PATH"
    )


@cache
def render(folder: str) -> tuple[dict[str, Any], ...]:
    """Every resource `kubectl kustomize <folder>` produces."""
    done = subprocess.run(
        [*kustomize_command(), str(DEPLOY / folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"kustomize {folder} failed:\n{done.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def crd_folder() -> Path | None:
    """`<repo>/../shared/crds` (or $PATHWISE_SHARED_CRDS) when it holds CRDs."""
    folder = Path(os.environ.get(CRDS_ENV) or REPO.parent / "shared" / "crds")
    return folder if folder.is_dir() and any(folder.glob("*.yaml")) else None


def _strict(schema: Any) -> Any:
    """Reject fields a CRD does not declare: the API server would silently prune them."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _crd_documents(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                yield doc


@cache
def crd_schemas(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict openAPIV3Schema the operator publishes."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for crd in _crd_documents(folder):
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            schemas[(f"{group}/{version['name']}", kind)] = _strict(schema)
    return schemas


def by_kind(docs: tuple[dict[str, Any], ...], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def service_folders() -> list[str]:
    """Every deployable under services/ (a folder with a pyproject), e.g. `path-svc`."""
    return sorted(p.name for p in (REPO / "services").iterdir() if (p / "pyproject.toml").is_file())


def module_of(folder: str) -> str:
    """The Python package a service folder runs as (`python -m path_svc`)."""
    return folder.replace("-", "_")


@dataclass
class Stage:
    """One `FROM ... AS name` stage: its base (an image or an earlier stage) and instructions."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse_dockerfile(text: str) -> dict[str, Stage]:
    """Stages of a Dockerfile by name, as (INSTRUCTION, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = [p for p in args.split() if not p.startswith("--")]
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else str(len(stages))
            current = stages[name] = Stage(name, parts[0])
        elif current is not None:
            current.instructions.append((keyword, args.strip()))
    return stages


def lineage(stages: dict[str, Stage], name: str) -> list[Stage]:
    """A stage and the stages it is built on, base first: what the image really contains."""
    chain = [stages[name]]
    while chain[0].base in stages:
        chain.insert(0, stages[chain[0].base])
    return chain


def effective(stages: dict[str, Stage], name: str, keyword: str) -> list[str]:
    """Every `keyword` instruction that applies to the image of stage `name`, in order."""
    return [args for stage in lineage(stages, name) for args in stage.all(keyword)]


def dockerignore_includes(patterns: list[str], path: str) -> bool:
    """Whether `path` reaches the build context under these .dockerignore patterns.

    Docker's rules as far as this repository uses them: the last matching pattern
    wins, `!` re-includes, and a pattern matching a folder matches what is inside.
    """
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    included = True
    for raw in patterns:
        exclude = not raw.startswith("!")
        pattern = raw.removeprefix("!").rstrip("/").replace("**/", "*/")
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes) or (
            raw.removeprefix("!").startswith("**/")
            and any(fnmatch.fnmatchcase(part, pattern.removeprefix("*/")) for part in parts)
        ):
            included = not exclude
    return included


def dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]
