"""The LRS row of `pathwise bench`: xAPI statements stored per second, and filtered reads.

assessment-svc runs in-process (ASGI, no network) on a fresh database. Statements
are POSTed in batches of 100, a few batches at a time, as an Activity Provider
syncing a class would; then the store is filled up to ``stored`` statements by
copying the sealed rows the LRS wrote (same keys, new ids and times, spread over
the same agents), and a filtered ``GET ?agent=&limit=100`` is timed.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pathwise_devstack import entrypoints, inprocess
from pathwise_devstack.devtoken import mint_token

BATCH = 100
CONCURRENT = 4
AGENTS = 200
READS = 200
TARGET_PER_S = 2_000.0
TARGET_READ_P99_MS = 50.0
HEADERS = {"X-Experience-API-Version": "1.0.3"}


def _statement(n: int) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "mbox": f"mailto:learner{n % AGENTS}@bench.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {"id": f"https://lms.example/bench/item/{n % 500}"},
        "result": {"score": {"raw": n % 5, "min": 0, "max": 4}, "success": n % 2 == 0},
        "timestamp": "2026-10-01T09:00:00Z",
    }


async def measure_lrs(
    dsn: str, bootstrap: str, secret: str, statements: int, stored: int
) -> dict[str, Any]:
    spec = entrypoints.service_spec("assessment-svc")
    token = mint_token(secret, role="service", district="d1")
    headers = HEADERS | {"Authorization": f"Bearer {token}"}
    batches = [
        [_statement(n) for n in range(k, min(k + BATCH, statements))]
        for k in range(0, statements, BATCH)
    ]
    async with inprocess.running(spec, dsn, bootstrap, secret=secret) as run:
        gate = asyncio.Semaphore(CONCURRENT)

        async def post(batch: list[dict[str, Any]]) -> None:
            async with gate:
                r = await run.client.post("/xapi/statements", json=batch, headers=headers)
                r.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(b) for b in batches))
        seconds = time.perf_counter() - started
        total = await _fill(run.runtime.pool, stored)
        timings = []
        for n in range(READS):
            agent = json.dumps({"mbox": f"mailto:learner{n % AGENTS}@bench.example"})
            began = time.perf_counter()
            r = await run.client.get(
                "/xapi/statements", params={"agent": agent, "limit": 100}, headers=headers
            )
            r.raise_for_status()
            timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    rate = statements / seconds
    p99 = timings[max(0, int(len(timings) * 0.99) - 1)]
    return {
        "statements": statements,
        "batch": BATCH,
        "concurrent_batches": CONCURRENT,
        "seconds": round(seconds, 2),
        "statements_per_s": round(rate, 1),
        "target_per_s": TARGET_PER_S,
        "ratio_to_target": round(rate / TARGET_PER_S, 3),
        "stored_for_reads": total,
        "read_p50_ms": round(statistics.median(timings), 1),
        "read_p99_ms": round(p99, 1),
        "target_read_p99_ms": TARGET_READ_P99_MS,
        "transport": "in-process ASGI (no network)",
    }


async def _fill(pool: Any, stored: int) -> int:
    """Copy the statements the LRS stored until there are ``stored`` (projection rows)."""
    async with pool.acquire() as conn:
        deadline = time.monotonic() + 300
        present = 0
        while time.monotonic() < deadline:  # the projection catches up with the POSTs
            present = await conn.fetchval("SELECT count(*) FROM statements")
            pending = await conn.fetchval("SELECT count(*) FROM xapi_ingested WHERE NOT projected")
            if pending == 0:
                break
            await asyncio.sleep(0.5)
        rows = await conn.fetch(
            """SELECT district_id, statement, verb, activity, agent, related_agents,
                      related_activities FROM statements"""
        )
        missing = max(0, stored - present)
        if not rows or missing == 0:
            return int(present)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        copies = (
            (
                uuid.uuid4(),
                r["district_id"],
                r["statement"],
                r["verb"],
                r["activity"],
                r["agent"],
                r["related_agents"],
                r["related_activities"],
                start + timedelta(seconds=i),
                start + timedelta(seconds=i),
            )
            for i, r in ((i, rows[i % len(rows)]) for i in range(missing))
        )
        await conn.copy_records_to_table(
            "statements",
            records=copies,
            columns=[
                "statement_id",
                "district_id",
                "statement",
                "verb",
                "activity",
                "agent",
                "related_agents",
                "related_activities",
                "stored",
                "timestamp",
            ],
        )
        await conn.execute("ANALYZE statements")
        return int(present) + missing
