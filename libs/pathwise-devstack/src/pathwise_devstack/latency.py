"""End-to-end latency at a fixed rate: HTTP ingest → path replanned → family email.

The open-loop load posts results at a steady rate (not as fast as answers
come back), so queueing shows up as latency instead of being hidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from pathwise_devstack import cpu_usage, hops, queue_depth, simulation
from pathwise_devstack.platform import Platform
from pathwise_runtime.telemetry import TRACE_FILE_ENV

TARGET_P99_MS = 500.0
TRACE_RATIO = 0.1  # a tenth of results traced: enough for p99, light on the hot path


async def measure(
    platform: Platform, *, rate: float, seconds: float, first_student: int = 0
) -> dict[str, Any]:
    """One open-loop run at ``rate``; students from ``first_student`` on, so runs on one
    platform never re-send each other's results."""
    rng = random.Random(3)
    competencies_per_student, attempts = 3, 5
    per_student = competencies_per_student * attempts
    students = max(1, round(rate * seconds / per_student))
    headers = {"Authorization": f"Bearer {platform.token('service')}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        framework = (await client.get(f"{platform.url('path-svc')}/v1/framework")).json()
        order = simulation.learning_order(framework)[:competencies_per_student]
        traffic = await simulation.enroll(
            client, platform.url("profile-svc"), students, first=first_student
        )
        await platform.wait_caught_up(timeout=120)
        queues = [
            simulation.answers(n, order, attempts, rng)
            for n in range(first_student, first_student + students)
        ]
        results = [q[i] for i in range(per_student) for q in queues]
        started, window_start = time.monotonic(), time.time_ns()
        cpu_before = cpu_usage.snapshot(data_under=platform.workdir)
        async with queue_depth.sampling(platform) as depth:
            # Past twice its length a run stops posting: above capacity, the rest waits.
            await simulation.stream(
                client,
                platform.url("assessment-svc"),
                results,
                traffic,
                rate=rate,
                stop_after_s=2 * seconds,
            )
        posting, window_end = time.monotonic() - started, time.time_ns()
    stopped = time.monotonic()
    await platform.wait_caught_up(timeout=300)
    drained = time.monotonic() - stopped
    cpu_ms = cpu_usage.per_result(
        cpu_before, cpu_usage.snapshot(data_under=platform.workdir), traffic.posted
    )
    latencies = simulation.latencies_ms(traffic, platform.mails())
    p99 = simulation.percentile(latencies, 99)
    return {
        "rate_target_per_s": rate,
        "rate_achieved_per_s": _achieved(traffic, posting),
        "results_posted": traffic.posted,
        "results_not_posted": len(results) - traffic.posted,
        "drain_s": round(drained, 1),
        "students": students,
        "window_ns": [window_start, window_end],
        "rejected": len(traffic.rejected),
        "emails_measured": len(latencies),
        "p50_ms": simulation.percentile(latencies, 50),
        "p99_ms": p99,
        "target_p99_ms": TARGET_P99_MS,
        "ratio_to_target": round(p99 / TARGET_P99_MS, 2) if p99 is not None else None,
        "queues": depth.summary(),
        "cpu_ms_per_result": cpu_ms,
    }


def _achieved(traffic: simulation.Traffic, posting: float) -> float | None:
    """Requests sent per second: on schedule while the platform keeps up, later once the
    requests in flight fill up (the last answers' own latency is not counted)."""
    sent = sorted(traffic.accepted_at.values())
    if len(sent) > 1 and sent[-1] > sent[0]:
        return round((len(sent) - 1) / (sent[-1] - sent[0]), 1)
    return round(traffic.posted / posting, 1) if posting else None


def measure_in_fresh_platform(
    rate: float, seconds: float, *, trace_ratio: float = TRACE_RATIO
) -> dict[str, Any]:
    """One run on a platform of its own, traced (a share of results) for the hop table."""
    [result] = measure_rates_in_fresh_platform([rate], seconds, trace_ratio=trace_ratio)
    return result


def measure_rates_in_fresh_platform(
    rates: Sequence[float],
    seconds: float,
    *,
    trace_ratio: float = TRACE_RATIO,
    more: Callable[[list[dict[str, Any]]], float | None] = lambda _: None,
) -> list[dict[str, Any]]:
    """Runs at each rate in turn on one platform (caught up between runs), then ``more``
    rates as long as it asks for one given the runs so far; each run with its hops."""
    with tempfile.TemporaryDirectory(prefix="pathwise-latency-") as scratch:
        workdir = Path(scratch)
        traces = workdir / "traces"
        env = {
            TRACE_FILE_ENV: str(traces / "{service}.jsonl"),
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": str(trace_ratio),
        }
        runs: list[dict[str, Any]] = []
        with _environment(env), Platform(workdir, log_path=workdir / "services.log") as platform:

            async def run_at(rate: float) -> None:
                first = sum(r["students"] for r in runs)
                runs.append(
                    await measure(platform, rate=rate, seconds=seconds, first_student=first)
                )

            async def all_runs() -> None:
                for rate in rates:
                    await run_at(rate)
                while (extra := more(runs)) is not None:
                    await run_at(extra)

            asyncio.run(all_runs())
        # Stopped: every service flushed its spans.
        spans = [
            json.loads(line)
            for path in sorted(traces.glob("*.jsonl"))
            for line in path.read_text().splitlines()
        ]
        for run in runs:
            start, end = run.pop("window_ns")
            traced = hops.per_trace(spans, posted_between=(start, end))
            run["hops"] = {"traced_results": len(traced), "share": trace_ratio} | {
                "ms": hops.summary(traced)
            }
        return runs


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Service processes inherit the environment: set it for the platform's lifetime."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
