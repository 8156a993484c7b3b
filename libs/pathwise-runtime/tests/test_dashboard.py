"""The Grafana dashboard in deploy/observability reads only metrics the runtime serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pathwise_runtime import metrics

pytestmark = pytest.mark.unit

DASHBOARD = Path(__file__).resolve().parents[3] / "deploy/observability/pathwise-dashboard.json"
_SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def served() -> set[str]:
    return {f.name for f in metrics.REGISTRY.collect() if f.name.startswith("pathwise_")}


def base(sample: str) -> str:
    for suffix in _SUFFIXES:
        sample = sample.removesuffix(suffix)
    return sample


def test_the_dashboard_and_the_runtime_metrics_match() -> None:
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", ())]
    queried = {base(n) for e in exprs for n in re.findall(r"\bpathwise_[a-z_]+", e)}
    assert queried - served() == set(), "the dashboard queries metrics nobody serves"
    assert served() - queried == set(), "runtime metrics without a panel"
