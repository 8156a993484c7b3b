"""Helpers for the deployment tests: the repository, kustomize, CRD schemas.

Kept apart from the tests so each test reads as the property it checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
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
