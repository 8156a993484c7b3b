"""The latency-throughput curve: which rates count as sustained, where the search
goes next, and a chart that is well-formed SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pathwise_devstack.commands.bench import curve

pytestmark = pytest.mark.unit


def _run(asked: float, achieved: float, drain: float = 2.0, **extra: Any) -> dict[str, Any]:
    return {
        "rate_target_per_s": asked,
        "rate_achieved_per_s": achieved,
        "results_not_posted": extra.get("not_posted", 0),
        "drain_s": drain,
        "p50_ms": extra.get("p50", 100.0),
        "p99_ms": extra.get("p99", 400.0),
        "target_p99_ms": 500.0,
    }


def test_a_rate_is_sustained_when_taken_and_caught_up_soon() -> None:
    assert curve.sustainable(_run(200, 195))
    assert not curve.sustainable(_run(200, 180))  # under 95% of asked
    assert not curve.sustainable(_run(200, 199, drain=45))  # the queues kept growing
    assert not curve.sustainable(_run(200, 199, not_posted=10))


def test_the_search_halves_the_gap_then_stops() -> None:
    runs = [_run(50, 50), _run(200, 199), _run(500, 300), _run(1000, 310)]
    assert curve.next_rate(runs, planned=4) == 350
    runs.append(_run(350, 340))
    assert curve.next_rate(runs, planned=4) == 425
    runs.append(_run(425, 330))
    assert curve.next_rate(runs, planned=4) is None  # two refinements at most
    assert curve.next_rate([_run(50, 50)], planned=1) is None  # everything was sustained
    summary = curve.summary(runs)
    assert summary["max_sustainable_per_s"] == 350
    assert [r["rate_target_per_s"] for r in summary["runs"]] == [50, 200, 350, 425, 500, 1000]


def test_the_chart_is_svg_with_a_point_per_run(tmp_path: Path) -> None:
    summary = curve.summary([_run(50, 50, p99=120), _run(200, 150, drain=30, p99=2400)])
    path = curve.write_chart(summary, tmp_path / "latest.json", 500.0)
    assert path.name == "latest.svg"
    root = ET.fromstring(path.read_text())
    circles = root.findall("{http://www.w3.org/2000/svg}circle")
    assert len(circles) == 4  # p50 and p99 of each run
    assert "max sustainable: 50 results/s" in path.read_text()
