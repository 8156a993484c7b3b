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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from pathwise_devstack import hops, queue_depth, simulation
from pathwise_devstack.platform import Platform
from pathwise_runtime.telemetry import TRACE_FILE_ENV

TARGET_P99_MS = 500.0
TRACE_RATIO = 0.1  # a tenth of results traced: enough for p99, light on the hot path


async def measure(platform: Platform, *, rate: float, seconds: float) -> dict[str, Any]:
    rng = random.Random(3)
    competencies_per_student, attempts = 3, 5
    per_student = competencies_per_student * attempts
    students = max(1, round(rate * seconds / per_student))
    headers = {"Authorization": f"Bearer {platform.token('service')}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        framework = (await client.get(f"{platform.url('path-svc')}/v1/framework")).json()
        order = simulation.learning_order(framework)[:competencies_per_student]
        traffic = await simulation.enroll(client, platform.url("profile-svc"), students)
        await platform.wait_caught_up(timeout=120)
        queues = [simulation.answers(n, order, attempts, rng) for n in range(students)]
        results = [q[i] for i in range(per_student) for q in queues]
        started = time.monotonic()
        async with queue_depth.sampling(platform) as depth:
            await simulation.stream(
                client, platform.url("assessment-svc"), results, traffic, rate=rate
            )
        posting = time.monotonic() - started
    await platform.wait_caught_up(timeout=300)
    latencies = simulation.latencies_ms(traffic, platform.mails())
    p99 = simulation.percentile(latencies, 99)
    return {
        "rate_target_per_s": rate,
        "rate_achieved_per_s": round(len(results) / posting, 1) if posting else None,
        "results_posted": len(results),
        "rejected": len(traffic.rejected),
        "emails_measured": len(latencies),
        "p50_ms": simulation.percentile(latencies, 50),
        "p99_ms": p99,
        "target_p99_ms": TARGET_P99_MS,
        "ratio_to_target": round(p99 / TARGET_P99_MS, 2) if p99 is not None else None,
        "queues": depth.summary(),
    }


def measure_in_fresh_platform(
    rate: float, seconds: float, *, trace_ratio: float = TRACE_RATIO
) -> dict[str, Any]:
    """The run on a platform of its own, traced (a share of results) for the hop table."""
    with tempfile.TemporaryDirectory(prefix="pathwise-latency-") as scratch:
        workdir = Path(scratch)
        traces = workdir / "traces"
        env = {
            TRACE_FILE_ENV: str(traces / "{service}.jsonl"),
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": str(trace_ratio),
        }
        with _environment(env), Platform(workdir, log_path=workdir / "services.log") as platform:
            result = asyncio.run(measure(platform, rate=rate, seconds=seconds))
        # Stopped: every service flushed its spans.
        spans = [
            json.loads(line)
            for path in sorted(traces.glob("*.jsonl"))
            for line in path.read_text().splitlines()
        ]
        traced = hops.per_trace(spans)
        result["hops"] = {"traced_results": len(traced), "share": trace_ratio} | {
            "ms": hops.summary(traced)
        }
        return result


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
