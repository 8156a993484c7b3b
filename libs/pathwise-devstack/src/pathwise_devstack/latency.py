"""End-to-end latency at a fixed rate: HTTP ingest → path replanned → family email.

The open-loop load posts results at a steady rate (not as fast as answers
come back), so queueing shows up as latency instead of being hidden.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from pathwise_devstack import simulation
from pathwise_devstack.platform import Platform

TARGET_P99_MS = 500.0


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
        await simulation.stream(client, platform.url("assessment-svc"), results, traffic, rate=rate)
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
    }


def measure_in_fresh_platform(rate: float, seconds: float) -> dict[str, Any]:
    import asyncio

    with tempfile.TemporaryDirectory(prefix="pathwise-latency-") as scratch:
        workdir = Path(scratch)
        with Platform(workdir, log_path=workdir / "services.log") as platform:
            return asyncio.run(measure(platform, rate=rate, seconds=seconds))
