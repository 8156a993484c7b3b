"""The report: the machine, each measure's ratio to the raw limit, the table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.table import Table

from pathwise_devstack.commands.bench.workload import RATIO_TARGET


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _ratio(result: Mapping[str, Any], raw: Mapping[str, Any]) -> float:
    return round(float(result["events_per_s"]) / float(raw["events_per_s"]), 3)


def add_ratios(result: dict[str, Any], raw: Mapping[str, Any]) -> None:
    result["ratio_to_raw"] = _ratio(result, raw)
    result["ratio_to_raw_from_start"] = round(
        float(result["events_per_s_from_start"]) / float(raw["events_per_s"]), 3
    )
    result["meets_target"] = result["ratio_to_raw"] >= RATIO_TARGET


ROWS = (
    ("produce", "produce (aiokafka)"),
    ("raw_limit", "raw limit (consume + json + COPY)"),
    ("runtime_projector", "runtime projector (Tally)"),
    ("path_projector", "path-svc projector"),
)


def render_table(report: Mapping[str, Any]) -> Table:
    """The report as a rich table: one row per measure."""
    table = Table(title=f"pathwise bench: {report['events']:,} events", caption_justify="left")
    table.add_column("measure")
    table.add_column("events", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("events/s", justify="right")
    table.add_column("ratio to raw", justify="right")
    results = report["results"]
    for key, label in ROWS:
        row = results.get(key)
        if row is None:
            continue
        if "skipped" in row:
            table.add_row(label, "-", "-", "-", f"not available ({row['skipped']})")
            continue
        ratio = "1.00" if key == "raw_limit" else f"{row.get('ratio_to_raw', 0):.2f}"
        if "meets_target" in row:
            ratio += "  ok" if row["meets_target"] else f"  < {RATIO_TARGET:.2f}"
        table.add_row(
            label,
            f"{row['events']:,}",
            f"{row['seconds']:.2f}",
            f"{row['events_per_s']:,.0f}",
            ratio,
        )
    notes = [
        f"{label}: group join {row['group_join_seconds']:.2f}s; from start "
        f"{row['events_per_s_from_start']:,.0f} events/s, "
        f"ratio {row['ratio_to_raw_from_start']:.2f}"
        for key, label in ROWS
        if "group_join_seconds" in (row := results.get(key) or {})
    ]
    table.caption = "\n".join(
        [
            "projectors are timed from partition assignment to the last event applied",
            *notes,
            f"target: projector >= {RATIO_TARGET:.0%} of the raw limit (ARCHITECTURE.md section 8)",
        ]
    )
    return table


def render_replay(rows: Mapping[str, Any]) -> Table:
    """Per service: N events of its inputs replayed into a fresh database."""
    table = Table(
        title="replay into a fresh database (pathwise replay's code)", caption_justify="left"
    )
    table.add_column("service")
    for column in ("events", "seconds", "events/s", "target", "dead letters"):
        table.add_column(column, justify="right")
    warnings = []
    for service, row in rows.items():
        if "skipped" in row:
            table.add_row(service, "-", "-", "-", f"not available ({row['skipped']})", "-")
            continue
        verdict = "ok" if row["meets_target"] else "missed"
        scaled = " (scaled)" if row.get("target_scaled") else ""
        table.add_row(
            service,
            f"{row['events']:,}",
            f"{row['seconds']:.2f}",
            f"{row['events_per_s']:,.0f}",
            f"<= {row['target_seconds']:g} s{scaled}  {verdict}",
            f"{row['dead_lettered']:,}",
        )
        if row.get("warning"):
            warnings.append(f"{service}: {row['warning']}")
    table.caption = "\n".join(
        [
            "seconds: the service's migrations on a fresh database, then every projection "
            "rebuilt from the beginning of its topics to the last event applied",
            "target: 60 s for 1,000,000 events; for another N, 60 s x N / 1,000,000 "
            "(scaled), which a bigger log (bigger tables) makes harder than it looks",
            *warnings,
        ]
    )
    return table


def render_curve(e2e: Mapping[str, Any]) -> Table:
    """End to end (HTTP ingest -> email) at each rate asked."""
    best = e2e.get("max_sustainable_per_s")
    verdict = f"max sustainable: {best:g} results/s" if best else "no rate asked was sustained"
    table = Table(title="end to end, HTTP ingest → family email", caption_justify="left")
    columns = ("asked/s", "achieved/s", "p50 ms", "p99 ms", "caught up in", "CPU ms/result")
    for column in (*columns, "sustained"):
        table.add_column(column, justify="right")
    for run in e2e["runs"]:
        table.add_row(
            f"{run['rate_target_per_s']:g}",
            f"{run['rate_achieved_per_s']}",
            _ms(run["p50_ms"]),
            _ms(run["p99_ms"]),
            f"{run['drain_s']:g} s",
            _ms(run.get("cpu_ms_per_result", {}).get("total")),
            "yes" if run.get("sustained") else "no",
        )
    table.caption = (
        f"{verdict} ({e2e['rule']}); target p99 <= {e2e['runs'][0]['target_p99_ms']:g} ms"
    )
    return table


def render_hops(e2e: Mapping[str, Any]) -> Table:
    """Where the end-to-end time went, hop by hop, and how deep each queue got."""
    traced = e2e["hops"]
    table = Table(
        title=f"at {e2e['rate_target_per_s']:g}/s asked: hops of "
        f"{traced['traced_results']:,} traced results "
        f"({traced['share']:.0%} of results traced)",
        caption_justify="left",
    )
    table.add_column("hop")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    for hop, row in traced["ms"].items():
        table.add_row(hop, _ms(row["p50_ms"]), _ms(row["p99_ms"]))
    lines = ["queue depth during the run, max / at the end (samples):"]
    for queue, seen in e2e.get("queues", {}).items():
        depths = ", ".join(
            f"{name} {q['max']:,} / {q['last']:,}" for name, q in seen.items() if name != "samples"
        )
        lines.append(f"  {queue} ({seen['samples']}): {depths}")
    cpu = e2e.get("cpu_ms_per_result") or {}
    lines.append(
        "CPU ms per result: "
        + ", ".join(f"{name} {ms:,.2f}" for name, ms in cpu.items() if name != "total")
    )
    table.caption = "\n".join(lines)
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def write_report(report: Mapping[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
