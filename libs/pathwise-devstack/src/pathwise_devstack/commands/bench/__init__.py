"""`pathwise bench`: projection throughput as a ratio of the raw consume-and-COPY limit.

One run, one machine, one stack, one set of messages: N AssessmentRecorded
CloudEvents are produced once to a fresh 12-partition topic, then read back
from the beginning by

1. the raw limit: an aiokafka consumer (no group) + `json.loads` + asyncpg
   `copy_records_to_table`, one transaction per 5,000 events;
2. the runtime projector: `Projector` + `BatchApplier` over the trivial `Tally`
   projection, subscribed through a FastStream `KafkaBroker` (fresh group);
3. path-svc's own projection(s), when path-svc provides them, on the same path.

Then, per service, the replay of N events of its input topics into a fresh
database by the code `pathwise replay` runs (``bench.replay``; 60 s target),

then the LRS (``bench.lrs``: xAPI statements per second and filtered reads) and
the end-to-end latency of the whole platform, each on a stack of its own.

Everything the run creates (topic, databases, embedded servers) it removes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import threading
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console

from pathwise_contracts import TOPICS, AssessmentRecorded
from pathwise_devstack import latency
from pathwise_devstack.commands.bench import curve
from pathwise_devstack.commands.bench.lrs import measure_lrs
from pathwise_devstack.commands.bench.projectors import (
    measure_path_projector,
    measure_runtime_projector,
)
from pathwise_devstack.commands.bench.raw_limit import measure_raw_limit
from pathwise_devstack.commands.bench.replay import (
    DEFAULT_REPLAY_EVENTS,
    TARGET_EVENTS,
    TARGET_SECONDS,
    measure_replays,
)
from pathwise_devstack.commands.bench.report import (
    _ratio,
    add_ratios,
    machine,
    render_curve,
    render_hops,
    render_replay,
    render_table,
    write_report,
)
from pathwise_devstack.commands.bench.workload import (
    DEFAULT_EVENTS,
    DEFAULT_OUT,
    FALLBACK_COMPETENCIES,
    PARTITIONS,
    RATIO_TARGET,
    STUDENTS,
    BenchError,
    PathService,
    Progress,
    build_workload,
    competency_codes,
    discover_path_service,
    measure_produce,
)
from pathwise_devstack.pg import drop_database, ensure_database
from pathwise_devstack.stack import Infrastructure, start_infrastructure
from pathwise_runtime.topics import ensure_topics

__all__ = [
    "DEFAULT_EVENTS",
    "DEFAULT_OUT",
    "competency_codes",
    "measure",
    "register",
    "render_replay",
    "render_table",
    "replays",
    "run",
    "write_report",
]


def register(subparsers: Any) -> None:
    """Add the `bench` parser."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench", help="measure projection throughput against the raw consume+COPY limit"
    )
    parser.add_argument(
        "--events",
        type=int,
        default=DEFAULT_EVENTS,
        help=f"events to produce and consume (default {DEFAULT_EVENTS:,})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"where to write the JSON results (default {DEFAULT_OUT})",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON results on stdout")
    parser.add_argument(
        "--e2e-rates",
        type=_rates,
        default=list(curve.DEFAULT_RATES),
        help="results/s for the end-to-end latency curve, comma-separated "
        "(default 50,200,500,1000; a few more runs look for the highest sustainable rate)",
    )
    parser.add_argument(
        "--e2e-seconds", type=float, default=15.0, help="length of the latency run (0 skips it)"
    )
    parser.add_argument(
        "--replay-events",
        type=int,
        default=DEFAULT_REPLAY_EVENTS,
        help="events per service to replay into a fresh database "
        f"(default {DEFAULT_REPLAY_EVENTS:,}; 0 skips it)",
    )
    parser.add_argument(
        "--lrs-statements",
        type=int,
        default=10_000,
        help="xAPI statements to POST in batches of 100 for the LRS row (0 skips it)",
    )
    parser.add_argument(
        "--lrs-stored",
        type=int,
        default=1_000_000,
        help="statements in the store when the LRS row times filtered reads",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="state dir parent (default: .)")
    parser.set_defaults(handler=run)


# ---------------------------------------------------------------------------
# The workload


async def measure(
    infra: Infrastructure, events: int = DEFAULT_EVENTS, progress: Progress | None = None
) -> dict[str, Any]:
    """Produce once, then run every measure over the same messages; returns the report."""
    say = progress or (lambda _: None)
    bootstrap = infra.bootstrap_servers
    path = discover_path_service()
    competencies, origin = _competencies(path)
    say(f"generating {events:,} events")
    workload = build_workload(events, competencies, origin)
    tag = workload.topic.name.split(".")[2]
    databases: list[str] = []

    async def new_database(purpose: str) -> str:
        name = f"{infra.database_prefix}bench_{tag}_{purpose}"
        await ensure_database(infra.admin_dsn, name)
        databases.append(name)
        return infra.make_dsn(name)

    results: dict[str, Any] = {}
    try:
        await ensure_topics(bootstrap, [workload.topic])
        say(f"produce: {events:,} events to {workload.topic.name}")
        results["produce"] = await measure_produce(bootstrap, workload)
        say("raw limit: consume + json.loads + COPY")
        raw = await measure_raw_limit(bootstrap, await new_database("raw"), workload)
        results["raw_limit"] = raw
        results["produce"]["ratio_to_raw"] = _ratio(results["produce"], raw)
        say("runtime projector: Projector + BatchApplier + Tally")
        runtime = await measure_runtime_projector(
            bootstrap, await new_database("runtime"), workload
        )
        add_ratios(runtime, raw)
        results["runtime_projector"] = runtime
        if isinstance(path, str):
            say(f"path-svc projector: not available ({path})")
            results["path_projector"] = {"skipped": path}
        else:
            say("path-svc projector")
            try:
                result = await measure_path_projector(
                    bootstrap, await new_database("path"), workload, path
                )
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                say(f"path-svc projector: not available ({reason})")
                results["path_projector"] = {"skipped": reason}
            else:
                add_ratios(result, raw)
                if path.framework_problem:
                    result["framework_problem"] = path.framework_problem
                results["path_projector"] = result
    finally:
        await _cleanup(infra, databases, workload.topic.name)
    return {
        "machine": machine(),
        "stack": {
            "postgres": "embedded" if infra.embedded_postgres else "external",
            "broker": "embedded" if infra.embedded_broker else "external",
        },
        "events": events,
        "workload": {
            "type": AssessmentRecorded.type,
            "topic_partitions": PARTITIONS,
            "students": STUDENTS,
            "mean_value_bytes": round(workload.mean_value_bytes, 1),
            "competencies": len(workload.competencies),
            "competencies_from": workload.competencies_from,
        },
        "results": results,
        "targets": {
            "runtime_projector_ratio_min": RATIO_TARGET,
            "path_projector_ratio_min": RATIO_TARGET,
        },
    }


def _competencies(path: PathService | str) -> tuple[tuple[str, ...], str]:
    """The default framework's codes, so projections that check them find them."""
    if isinstance(path, PathService) and path.competencies:
        return path.competencies, "path-svc default framework"
    return FALLBACK_COMPETENCIES, "built-in list"


async def replays(
    infra: Infrastructure, events: int, progress: Progress | None = None
) -> dict[str, Any]:
    """results.replay: every service's replay of ``events`` of its inputs."""
    competencies, _ = _competencies(discover_path_service())
    return await measure_replays(infra, events, competencies, progress)


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"rates must be numbers: {text!r}") from exc
    if not rates or any(r <= 0 for r in rates):
        raise argparse.ArgumentTypeError("rates must be positive numbers, comma-separated")
    return sorted(rates)


async def _lrs(infra: Infrastructure, statements: int, stored: int) -> dict[str, Any]:
    """The LRS row on a database of its own, dropped afterwards."""
    name = f"{infra.database_prefix}bench_lrs"
    await ensure_database(infra.admin_dsn, name)
    try:
        await ensure_topics(infra.bootstrap_servers, list(TOPICS))
        return await measure_lrs(
            infra.make_dsn(name), infra.bootstrap_servers, infra.dev_secret, statements, stored
        )
    finally:
        with contextlib.suppress(Exception):
            await drop_database(infra.admin_dsn, name)


async def _cleanup(infra: Infrastructure, databases: Iterable[str], topic: str) -> None:
    """Drop what the run created; a failure here must not hide the run's own error."""
    for name in databases:
        with contextlib.suppress(Exception):
            await drop_database(infra.admin_dsn, name)
    if infra.embedded_broker:
        return  # the broker and its in-memory log go away with the stack
    with contextlib.suppress(Exception):
        admin = AIOKafkaAdminClient(bootstrap_servers=infra.bootstrap_servers)
        await admin.start()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()


# ---------------------------------------------------------------------------
# Output


def _forward_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the run like Ctrl-C, so every cleanup path is the same."""
    signal.raise_signal(signal.SIGINT)


def run(args: argparse.Namespace) -> int:
    """Start the stack, measure, stop the stack; print and write the report."""
    console = Console(stderr=True)
    if args.events < 1:
        console.print("pathwise bench: --events must be at least 1")
        return 2
    if args.replay_events < 0:
        console.print("pathwise bench: --replay-events must be 0 (skip) or more")
        return 2
    workdir = (args.workdir or Path.cwd()).resolve()
    # Even when started with SIGINT ignored (a background job), both signals stop the run
    # through the same path: asyncio.run cancels `measure`, whose cleanup runs, then the
    # stack stops.
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _forward_sigterm)
    try:
        console.print("pathwise bench: starting the infrastructure")
        with start_infrastructure(workdir, services=(), create_topics=False) as infra:
            report = asyncio.run(
                measure(infra, args.events, lambda m: console.print(f"pathwise bench: {m}"))
            )
            if args.replay_events > 0:
                console.print(
                    f"pathwise bench: replay: {args.replay_events:,} events per service "
                    "into a fresh database"
                )
                report["results"]["replay"] = asyncio.run(
                    replays(
                        infra, args.replay_events, lambda m: console.print(f"pathwise bench: {m}")
                    )
                )
                report["targets"]["replay_seconds_max"] = TARGET_SECONDS
                report["targets"]["replay_seconds_max_events"] = TARGET_EVENTS
            if args.lrs_statements > 0:
                console.print(
                    f"pathwise bench: LRS: {args.lrs_statements:,} statements in batches of "
                    f"100, then filtered reads over {args.lrs_stored:,} stored"
                )
                report["results"]["lrs"] = asyncio.run(
                    _lrs(infra, args.lrs_statements, args.lrs_stored)
                )
        if args.e2e_seconds > 0:
            rates = ", ".join(f"{r:g}" for r in args.e2e_rates)
            console.print(
                f"pathwise bench: end-to-end latency at {rates} results/s, "
                f"{args.e2e_seconds:g} s each (all four services as processes, one platform)"
            )
            runs = latency.measure_rates_in_fresh_platform(
                args.e2e_rates,
                args.e2e_seconds,
                more=lambda done: curve.next_rate(done, len(args.e2e_rates)),
            )
            report["results"]["end_to_end"] = curve.summary(runs)
    except KeyboardInterrupt:
        console.print("pathwise bench: interrupted; everything it started is stopped")
        return 130
    except BenchError as error:
        console.print(f"pathwise bench: {error}")
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    write_report(report, args.out)
    e2e = report["results"].get("end_to_end")
    if e2e:
        chart = curve.write_chart(e2e, args.out, latency.TARGET_P99_MS)
        console.print(f"pathwise bench: latency-throughput chart written to {chart}")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        Console().print(render_table(report))
        if report["results"].get("replay"):
            Console().print(render_replay(report["results"]["replay"]))
        lrs = report["results"].get("lrs")
        if lrs:
            Console().print(
                f"LRS (xAPI statements, {lrs['transport']}): {lrs['statements_per_s']:,.0f} "
                f"statements/s in batches of {lrs['batch']} (target {lrs['target_per_s']:,.0f}, "
                f"ratio {lrs['ratio_to_target']}); GET ?agent=&limit=100 over "
                f"{lrs['stored_for_reads']:,} stored: p50 {lrs['read_p50_ms']} ms, "
                f"p99 {lrs['read_p99_ms']} ms (target p99 <= {lrs['target_read_p99_ms']:g} ms)"
            )
        if e2e:
            Console().print(render_curve(e2e))
            shown = max(
                e2e["runs"],
                key=lambda r: (curve.sustainable(r), r["rate_target_per_s"]),
            )
            Console().print(render_hops(shown))
    console.print(f"pathwise bench: results written to {args.out}")
    return 0
