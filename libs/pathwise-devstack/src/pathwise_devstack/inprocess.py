"""One service in-process for its own tests: the app with its lifespan, and its topic.

Every service's integration tests need the same three things: the service
running on a fresh database under a unique consumer group, a way to read what
it published, and polling until a projection caught up.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from pathwise_contracts import Envelope, Topic
from pathwise_devstack.quick import SESSION_TIMEOUT_MS
from pathwise_runtime.service import Runtime, ServiceSpec, create_app
from pathwise_runtime.settings import ServiceSettings


@dataclass
class Running:
    client: httpx.AsyncClient
    runtime: Runtime


def offline_client(spec: ServiceSpec, secret: str) -> httpx.AsyncClient:
    """The app without its lifespan: enough for auth and validation, which answer first."""
    app = create_app(spec, ServiceSettings(PATHWISE_AUTH_DEV_SECRET=secret))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@contextlib.asynccontextmanager
async def running(
    spec: ServiceSpec, dsn: str, bootstrap: str, *, secret: str
) -> AsyncIterator[Running]:
    """The whole service on ``dsn``, with a consumer group of its own."""
    settings = ServiceSettings(
        DATABASE_URL=dsn,
        KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        PATHWISE_AUTH_DEV_SECRET=secret,
        SERVICE_NAME=f"{spec.name}-test-{secrets.token_hex(4)}",
        OUTBOX_POLL_INTERVAL_S=0.2,
        CONSUMER_SESSION_TIMEOUT_MS=SESSION_TIMEOUT_MS,  # joins within a second
    )
    app = create_app(spec, settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as client,
    ):
        yield Running(client, app.state.runtime)


async def read_topic(
    bootstrap: str, topic: str, partitions: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything now in ``topic`` (creation markers included), in partition order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(records)
        return found
    finally:
        await consumer.stop()


async def published(bootstrap: str, topic: Topic, event_id: UUID) -> list[Envelope]:
    """Every message on ``topic`` carrying ``event_id``."""
    marker = ("ce_id", str(event_id).encode())
    return [
        Envelope.from_bytes(r.value or b"")
        for r in await read_topic(bootstrap, topic.name, topic.partitions)
        if marker in list(r.headers)
    ]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Poll an async predicate until it holds; TimeoutError after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 - polling another process's state
            await asyncio.sleep(0.2)


def record_of(envelope: Envelope, offset: int, partition: int = 0) -> ConsumerRecord[bytes, bytes]:
    """A hand-built record of ``envelope`` as if read from its event's topic at ``offset``."""
    key, value = envelope.subject.encode(), envelope.to_bytes()
    return ConsumerRecord(
        topic=envelope.event().topic,
        partition=partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=(),
    )
