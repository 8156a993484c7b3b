"""`pathwise bench` measures every row on the session's stack and reports honestly."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from pathwise_devstack.cli import build_parser
from pathwise_devstack.commands import bench
from pathwise_devstack.stack import Infrastructure


@pytest.mark.unit
def test_cli_options() -> None:
    args = build_parser().parse_args(["bench", "--events", "3000", "--json", "--out", "r.json"])
    assert (args.events, args.json, args.out) == (3000, True, Path("r.json"))
    assert args.handler is bench.run
    defaults = build_parser().parse_args(["bench"])
    assert defaults.events == bench.DEFAULT_EVENTS
    assert defaults.out == bench.DEFAULT_OUT


@pytest.mark.unit
def test_competency_codes_from_any_shape() -> None:
    class Competency:
        def __init__(self, code: str) -> None:
            self.code = code

    assert bench.competency_codes([Competency("a"), Competency("b")]) == ("a", "b")
    assert bench.competency_codes({"x": 1, "y": 2}) == ("x", "y")
    assert bench.competency_codes(["p", "q"]) == ("p", "q")


@pytest.mark.integration
@pytest.mark.slow
async def test_bench_measures_the_same_events_on_every_path(
    infrastructure: Infrastructure, tmp_path: Path
) -> None:
    events = 3000
    report = await bench.measure(infrastructure, events)

    assert set(report) >= {"machine", "events", "results", "targets"}
    assert set(report["machine"]) == {"cpus", "python", "platform"}
    assert report["events"] == events
    assert report["targets"]["runtime_projector_ratio_min"] == 0.5
    results = report["results"]
    for key in ("produce", "raw_limit", "runtime_projector"):
        assert results[key]["events"] == events
        assert results[key]["events_per_s"] > 0
    runtime = results["runtime_projector"]
    assert runtime["applied"] == events
    assert runtime["dead_lettered"] == 0
    assert runtime["ratio_to_raw"] > 0
    path = results["path_projector"]
    if "skipped" in path:
        assert path["skipped"]
    else:
        assert path["events_per_s"] > 0
        assert path["applied"] + path["dead_lettered"] >= events

    out = tmp_path / "results" / "latest.json"
    bench.write_report(report, out)
    assert json.loads(out.read_text()) == report
    screen = io.StringIO()
    Console(file=screen, width=120).print(bench.render_table(report))
    assert "raw limit" in screen.getvalue()
    assert "runtime projector" in screen.getvalue()


@pytest.mark.integration
@pytest.mark.slow
async def test_bench_replays_each_service_into_a_fresh_database(
    infrastructure: Infrastructure,
) -> None:
    events = 2000  # `--replay-events 2000`
    rows = await bench.replays(infrastructure, events)

    assert set(rows) == {"assessment-svc", "profile-svc", "path-svc", "notify-svc"}
    for service, row in rows.items():
        assert "skipped" not in row, row  # every service is installed here
        assert row["events"] == events
        assert row["seconds"] > 0 and row["events_per_s"] > 0
        assert row["target_seconds"] == 0.12  # 60 s x 2,000 / 1,000,000
        assert row["target_scaled"] is True
        assert isinstance(row["meets_target"], bool)
        assert row["dead_lettered"] == 0, (service, row)
        assert row["records_applied"] >= events  # some projections share a topic
        assert any(row["rows"].values()), row["rows"]  # the tables were rebuilt
    assert rows["path-svc"]["emitted"] > 0  # mastery derived from the results
    screen = io.StringIO()
    Console(file=screen, width=160).print(bench.render_replay(rows))
    assert "notify-svc" in screen.getvalue()
