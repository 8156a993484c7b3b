"""How deep each service's queues get during a load run, sampled while it runs.

Two samplers, so a slow one never starves the other: the database side (outbox
rows not yet published, notify-svc's messages not yet sent) every second, and
consumer lag (log ends against the projections' watermarks) as often as the
broker answers, which under load can take seconds per answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer

from pathwise_devstack import platform as platforms
from pathwise_devstack.services import SERVICES

PERIOD_S = 1.0


@dataclass
class Depths:
    samples: dict[str, list[dict[str, int]]] = field(default_factory=lambda: defaultdict(list))

    def summary(self) -> dict[str, Any]:
        """Per queue: the deepest it got, how deep at the end, and how often it was seen."""
        out: dict[str, Any] = {}
        for queue, seen in sorted(self.samples.items()):
            names = sorted({n for s in seen for n in s})
            out[queue] = {
                "samples": len(seen),
                **{n: {"max": max(s.get(n, 0) for s in seen), "last": seen[-1][n]} for n in names},
            }
        return out


@contextlib.asynccontextmanager
async def sampling(platform: platforms.Platform) -> AsyncIterator[Depths]:
    depths = Depths()
    stop = asyncio.Event()
    consumer = AIOKafkaConsumer(bootstrap_servers=platform.infra.bootstrap_servers)
    await consumer.start()
    conns = {s.name: await asyncpg.connect(platform.database_url(s.name)) for s in SERVICES}
    lag_conns = {s.name: await asyncpg.connect(platform.database_url(s.name)) for s in SERVICES}

    async def outbox() -> dict[str, int]:
        return {name: await platforms.unpublished(conn) for name, conn in conns.items()}

    async def unsent() -> dict[str, int]:
        return {"notify-svc": await platforms.unsent("notify-svc", conns["notify-svc"])}

    async def lag() -> dict[str, int]:
        ends = await platform.end_offsets(consumer)
        return {
            name: platforms.lag(name, ends, await platforms.watermarks(conn))
            for name, conn in lag_conns.items()
        }

    async def loop(queue: str, take: Callable[[], Awaitable[dict[str, int]]]) -> None:
        while True:
            with contextlib.suppress(Exception):  # a sample lost under load is no result
                depths.samples[queue].append(await take())
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), PERIOD_S)

    tasks = [
        asyncio.create_task(loop("outbox", outbox)),
        asyncio.create_task(loop("unsent", unsent)),
        asyncio.create_task(loop("lag", lag)),
    ]
    try:
        yield depths
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await consumer.stop()
        for conn in [*conns.values(), *lag_conns.values()]:
            await conn.close()
