"""Helpers for the runtime's integration tests: topics, events, databases."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer

from pathwise_contracts import AssessmentRecorded, Envelope, Topic
from pathwise_devstack.inprocess import read_topic as read_topic  # the tests read with it
from pathwise_runtime import migrations, tally
from pathwise_runtime.topics import ensure_topics


async def new_topic(bootstrap: str, partitions: int = 12) -> Topic:
    topic = Topic(f"test.{secrets.token_hex(4)}.v1", partitions=partitions, retention_ms=-1)
    await ensure_topics(bootstrap, [topic, topic.dlq_topic()])
    return topic


def assessment(student: str, n: int) -> Envelope:
    event = AssessmentRecorded(
        assessment_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/{n}"),
        student_id=student,
        competency_id="3.OA.A.1",
        score=1.0,
        max_score=1.0,
        occurred_at=datetime(2026, 9, 1, tzinfo=UTC),
        source="test",
        source_id=f"{student}/{n}",
    )
    return Envelope.wrap(
        event, id=event.assessment_id, source="urn:pathwise:test", district_id="d1"
    )


async def produce(bootstrap: str, topic: str, envelopes: Sequence[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, e.to_bytes(), key=e.subject.encode()) for e in envelopes
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def produce_raw(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def prepare(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await migrations.migrate(conn, [*migrations.runtime_migrations(), ("tally", tally.SCHEMA)])
    finally:
        await conn.close()


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.2
) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(interval)
