"""`pathwise demo`: the whole platform on a laptop, with simulated district traffic.

Starts the embedded stack and the four services, enrolls students with their
families, streams assessment results, waits until every service has caught up,
prints what happened (and, with --verify-replay, proves every projection can be
rebuilt from the log) with the web portal's address, then stops everything it
started, or with --keep-running leaves it up to click through until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pathwise_devstack import ingest_demo, notify_demo, portal_demo, roster_demo, simulation
from pathwise_devstack.platform import Platform
from pathwise_devstack.services import SERVICES
from pathwise_devstack.verification import replay_service


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo", help="run the platform with simulated students, results and families"
    )
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--competencies", type=int, default=3, help="per student, in order")
    parser.add_argument("--attempts", type=int, default=5, help="results per competency")
    parser.add_argument("--rate", type=float, default=300.0, help="results posted per second")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--verify-replay", action="store_true", help="rebuild and compare")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="keep state and logs here")
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="after the summary, leave the platform and the portal up until Ctrl-C",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    if args.students < 1:
        console.print("pathwise demo: --students must be at least 1")
        return 2
    with tempfile.TemporaryDirectory(prefix="pathwise-demo-") as scratch:
        workdir = (args.workdir or Path(scratch)).resolve()
        log_path = workdir / "services.log"
        console.print(f"pathwise demo: starting the platform (service logs: {log_path})")
        summary: dict[str, Any] | None = None
        try:
            with Platform(workdir, log_path=log_path) as platform:
                summary = asyncio.run(_demo(platform, args, console))
                _report(console, summary, args.json)
                if args.keep_running:
                    _keep_running(console, summary)
        except KeyboardInterrupt:
            if summary is None or not args.keep_running:
                console.print("pathwise demo: interrupted; everything it started is stopped")
                return 130
            console.print("pathwise demo: stopped")
    ok = all(summary["counts"][k] > 0 for k in ("assessments_recorded", "paths_replanned"))
    ok = ok and summary["counts"]["notifications_sent"] > 0
    if args.verify_replay:
        ok = ok and all(summary["replay_verified"].values())
    return 0 if ok else 1


async def _demo(platform: Platform, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    rng = random.Random(args.seed)
    headers = {"Authorization": f"Bearer {platform.token('service')}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        framework = (await client.get(f"{platform.url('path-svc')}/v1/framework")).json()
        competencies = simulation.learning_order(framework)[: args.competencies]
        traffic = await simulation.enroll(client, platform.url("profile-svc"), args.students)
        results = [
            r
            for n in range(args.students)
            for r in simulation.answers(n, competencies, args.attempts, rng)
        ]
        rng.shuffle(results)
        results.sort(key=lambda r: (r["student_id"], r["occurred_at"]))  # per student in order
        results = _interleave(results)
        started = time.monotonic()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=args.json,
        ) as bar:
            task = bar.add_task("assessment results", total=len(results))
            await simulation.stream(
                client,
                platform.url("assessment-svc"),
                results,
                traffic,
                rate=args.rate,
                progress=lambda n: bar.advance(task, n),
            )
            roster = await roster_demo.demo_step(client, platform)
            portal = await portal_demo.demo_step(client, platform)
            ingest = await ingest_demo.demo_step(client, platform)
            wait = bar.add_task("services catching up", total=None)
            await platform.wait_caught_up(timeout=300)
            bar.update(wait, total=1, completed=1)
        notifications = await notify_demo.demo_step(client, platform)
        elapsed = time.monotonic() - started
    counts = await platform.event_counts()
    mails = platform.mails()
    latencies = simulation.latencies_ms(traffic, mails)
    summary: dict[str, Any] = {
        "students": args.students,
        "guardians": traffic.guardians,
        "competencies": competencies,
        "counts": {
            "assessments_posted": traffic.posted,
            "assessments_rejected": len(traffic.rejected),
            "assessments_recorded": counts["AssessmentRecorded"],
            "mastery_updates": counts["MasteryUpdated"],
            "competencies_mastered": counts["CompetencyMastered"],
            "paths_replanned": counts["PathReplanned"],
            "notifications_sent": counts["NotificationSent"],
            "notifications_failed": counts["NotificationFailed"],
            "emails_in_sink": len(mails),
        },
        "roster": roster,
        "ingest": ingest,
        "portal": portal,
        "sinks": {"mail_page": platform.infra.smtp_web_url, "sms_page": platform.infra.sms_url},
        "notifications": notifications,
        "seconds": round(elapsed, 2),
        "latency_ms": {
            "measured": len(latencies),
            "p50": simulation.percentile(latencies, 50),
            "p99": simulation.percentile(latencies, 99),
            "max": round(latencies[-1], 1) if latencies else None,
        },
    }
    if args.verify_replay:
        summary["replay_verified"] = {}
        summary["replay"] = {}
        for spec in SERVICES:
            console.print(f"pathwise demo: replaying {spec.name} from the log ...")
            report = await replay_service(
                spec.name,
                live_dsn=platform.database_url(spec.name),
                admin_dsn=platform.infra.admin_dsn,
                bootstrap=platform.infra.bootstrap_servers,
                verify=True,
            )
            summary["replay_verified"][spec.name] = bool(report.verified)
            summary["replay"][spec.name] = {
                "events_replayed": report.events_replayed,
                "tables": report.as_dict()["tables"],
            }
    return summary


def _report(console: Console, summary: dict[str, Any], as_json: bool) -> None:
    """The summary (JSON on stdout with --json), and always the portal's address on stderr."""
    if as_json:
        print(json.dumps(summary, indent=2))
        sys.stdout.flush()
    else:
        _print(console, summary)
    portal = summary["portal"]
    console.print(
        f"pathwise demo: portal at {portal['portal_url']}/signin — sign in as teacher "
        f"{portal['portal_teachers'][0]}, guardian {portal['portal_guardian']} "
        f"or student {portal['portal_student']}"
    )
    sinks = summary["sinks"]
    console.print(
        f"pathwise demo: what families received: mail {sinks['mail_page']}, "
        f"texts {sinks['sms_page']}"
    )


def _keep_running(console: Console, summary: dict[str, Any]) -> None:
    """Block until Ctrl-C (KeyboardInterrupt); the Platform context then stops everything."""
    console.print("pathwise demo: the platform keeps running; Ctrl-C stops everything")

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        threading.Event().wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interleave(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Round-robin across students, keeping each student's own order (as a class would)."""
    by_student: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_student.setdefault(r["student_id"], []).append(r)
    queues = list(by_student.values())
    out: list[dict[str, Any]] = []
    depth = max((len(q) for q in queues), default=0)
    for i in range(depth):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def _print(console: Console, summary: dict[str, Any]) -> None:
    table = Table(title=f"Pathwise demo: {summary['students']} students")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in summary["counts"].items():
        table.add_row(key.replace("_", " "), str(value))
    for section in ("roster", "ingest"):
        for key, value in summary.get(section, {}).items():
            table.add_row(key.replace("_", " "), str(value))
    lat = summary["latency_ms"]
    table.add_row("HTTP ingest → email p50 (ms)", str(lat["p50"]))
    table.add_row("HTTP ingest → email p99 (ms)", str(lat["p99"]))
    table.add_row("seconds", str(summary["seconds"]))
    for service, ok in summary.get("replay_verified", {}).items():
        table.add_row(f"replay equals live: {service}", "yes" if ok else "NO")
    Console().print(table)
    sys.stdout.flush()
