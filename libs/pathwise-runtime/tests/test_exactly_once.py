"""The runtime's promise, tested against the real Postgres and broker:
exactly-once effects on at-least-once delivery, whatever is killed when."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from runtime_support import (
    assessment,
    new_topic,
    prepare,
    produce,
    produce_raw,
    read_topic,
    wait_for,
)

from pathwise_contracts import Topic
from pathwise_runtime import outbox
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.dlq import reason_of
from pathwise_runtime.outbox import OutboxRelay
from pathwise_runtime.projector import Projector
from pathwise_runtime.service import open_pool
from pathwise_runtime.tally import Tally
from pathwise_runtime.topics import TopicIdentityError, ensure_topics

pytestmark = pytest.mark.integration
PROCESS = Path(__file__).with_name("tally_process.py")
# The broker holds a new group's first join for half the session timeout.
SESSION_TIMEOUT_MS = 2000


async def totals(dsn: str) -> tuple[int, int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        effects = await conn.fetchval("SELECT count(*) FROM tally_effects")
        distinct = await conn.fetchval("SELECT count(DISTINCT event_id) FROM tally_effects")
        total = await conn.fetchval("SELECT coalesce(sum(events), 0) FROM tally_totals")
        return int(effects), int(distinct), int(total)
    finally:
        await conn.close()


@pytest.mark.slow
async def test_projector_killed_at_random_points_applies_every_event_once(
    database, kafka_bootstrap: str
) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap)
    students = [f"s-{i}" for i in range(200)]
    events = [assessment(students[n % 200], n) for n in range(20_000)]
    await produce(kafka_bootstrap, topic.name, events)

    rng = random.Random(7)
    mid_stream = 0
    # Kill -9 each time the projection has passed the next mark, plus a random
    # few milliseconds, so the kills land inside batches and between them.
    for mark in (1_500, 5_000, 9_000, 13_000, 17_000):
        proc = subprocess.Popen(
            [sys.executable, str(PROCESS), dsn, kafka_bootstrap, topic.name],
            env={**os.environ, "MAX_RECORDS": "200"},
        )
        try:
            await wait_for(lambda m=mark: _reached(dsn, m), timeout=120, interval=0.01)
            await asyncio.sleep(rng.uniform(0, 0.03))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        if (await totals(dsn))[2] < len(events):
            mid_stream += 1
    proc = subprocess.Popen([sys.executable, str(PROCESS), dsn, kafka_bootstrap, topic.name])
    try:
        await wait_for(lambda: _reached(dsn, len(events)), timeout=180)
        await asyncio.sleep(2)  # anything applied twice would show up by now
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    effects, distinct, total = await totals(dsn)
    assert mid_stream == 5, "a kill did not land in the middle of the stream"
    assert (effects, distinct, total) == (20_000, 20_000, 20_000)
    conn = await asyncpg.connect(dsn)
    try:
        per_student = {
            r["student_id"]: r["events"] for r in await conn.fetch("SELECT * FROM tally_totals")
        }
    finally:
        await conn.close()
    assert per_student == Counter(e.subject for e in events)


async def _reached(dsn: str, expected: int) -> bool:
    return (await totals(dsn))[2] >= expected


class _CrashAfterPublish(OutboxRelay):
    """A relay that dies after Kafka acknowledged the batch, before it is marked."""

    async def _mark(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        raise ConnectionError("killed between publish and mark")


async def test_relay_crash_between_publish_and_mark_has_no_visible_duplicate(
    database, kafka_bootstrap: str
) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=4)
    envelopes = [assessment(f"s-{n % 17}", n) for n in range(1_000)]
    pool = await open_pool(dsn)
    try:
        async with pool.acquire() as conn, conn.transaction():
            queued = await outbox.add(conn, [outbox.message_for(topic.name, e) for e in envelopes])
        assert queued == 1_000

        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            crashing = _CrashAfterPublish(pool, dsn, kafka_bootstrap, batch_size=400)
            with pytest.raises(ConnectionError):
                await crashing.publish_pending(producer)
            relay = OutboxRelay(pool, dsn, kafka_bootstrap, batch_size=400)
            while await relay.publish_pending(producer):
                pass
        finally:
            await producer.stop()
        assert await relay.pending() == 0

        records = await read_topic(kafka_bootstrap, topic.name, 4)
        assert len(records) - 4 == 1_400  # 4 creation markers; the first 400 twice

        applier = BatchApplier(Tally("tally", [topic.name]), pool, kafka_bootstrap)
        for start in range(0, len(records), 250):
            await applier.apply(records[start : start + 250])
    finally:
        await pool.close()
    assert await totals(dsn) == (1_000, 1_000, 1_000)


async def test_poison_messages_go_to_the_dlq_and_the_stream_goes_on(
    database, kafka_bootstrap: str
) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=1)
    good = [assessment("s-1", n) for n in range(10)]
    await produce(kafka_bootstrap, topic.name, good[:5])
    await produce_raw(kafka_bootstrap, topic.name, b"s-1", b"{not json")
    await produce_raw(kafka_bootstrap, topic.name, b"s-1", b'{"specversion": "1.0"}')
    await produce(kafka_bootstrap, topic.name, [assessment("refused", 0)])
    await produce(kafka_bootstrap, topic.name, good[5:])

    pool = await open_pool(dsn)
    broker = KafkaBroker(kafka_bootstrap)
    projector = Projector(
        BatchApplier(Tally("tally", [topic.name], poison_student="refused"), pool, kafka_bootstrap),
        group_id=f"poison-{topic.name}",
        session_timeout_ms=SESSION_TIMEOUT_MS,
    )
    projector.register(broker)
    relay = OutboxRelay(pool, dsn, kafka_bootstrap, poll_interval_s=0.2)
    await broker.start()
    await relay.start()
    try:
        await wait_for(lambda: _reached(dsn, 10), timeout=60)
        await wait_for(lambda: _count_dlq(kafka_bootstrap, topic, 3), timeout=60)
    finally:
        await relay.stop()
        await broker.stop()
        await pool.close()

    assert await totals(dsn) == (10, 10, 10)
    dead = [r for r in await read_topic(kafka_bootstrap, topic.dlq, 1) if r.offset > 0]
    reasons = [reason_of(r.headers) for r in dead]
    assert [r["dlq.original.offset"] for r in reasons] == ["6", "7", "8"]
    assert all(r["dlq.original.topic"] == topic.name for r in reasons)
    assert "JSON" in reasons[0]["dlq.reason"] or "json" in reasons[0]["dlq.reason"]
    assert "refused by this projection" in reasons[2]["dlq.reason"]
    assert dead[0].value == b"{not json"


async def _count_dlq(bootstrap: str, topic: Topic, expected: int) -> bool:
    return len(await read_topic(bootstrap, topic.dlq, 1)) - 1 >= expected


async def test_a_recreated_topic_is_detected_not_skipped(database, kafka_bootstrap: str) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=1)
    await produce(kafka_bootstrap, topic.name, [assessment("s-1", n) for n in range(20)])
    pool = await open_pool(dsn)
    try:
        applier = BatchApplier(Tally("tally", [topic.name]), pool, kafka_bootstrap)
        await applier.apply(await read_topic(kafka_bootstrap, topic.name, 1))

        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([topic.name])
        finally:
            await admin.close()
        await ensure_topics(kafka_bootstrap, [topic])
        await produce(kafka_bootstrap, topic.name, [assessment("s-2", n) for n in range(40)])
        records = await read_topic(kafka_bootstrap, topic.name, 1)

        # The same process sees the new creation marker in the batch ...
        with pytest.raises(TopicIdentityError, match="recreated"):
            await applier.apply(records[:10])
        # ... and a restarted one, resuming past offset 20, asks the broker.
        restarted = BatchApplier(Tally("tally", [topic.name]), pool, kafka_bootstrap)
        with pytest.raises(TopicIdentityError, match="recreated"):
            await restarted.apply(records[25:])
    finally:
        await pool.close()
    assert await totals(dsn) == (20, 20, 20)


async def test_a_restored_database_resumes_from_its_own_watermarks(
    database, kafka_bootstrap: str
) -> None:
    """The consumer group says 'all done', the database (restored from an older
    backup) says 'up to offset 50': the projector trusts the database."""
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=1)
    await produce(kafka_bootstrap, topic.name, [assessment("s-1", n) for n in range(100)])
    group = f"restore-{topic.name}"
    consumer = AIOKafkaConsumer(
        topic.name,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=SESSION_TIMEOUT_MS // 5,
    )
    await consumer.start()
    try:
        while sum(len(v) for v in (await consumer.getmany(timeout_ms=1000)).values()):
            pass
        await consumer.commit()
    finally:
        await consumer.stop()

    pool = await open_pool(dsn)
    broker = KafkaBroker(kafka_bootstrap)
    try:
        records = await read_topic(kafka_bootstrap, topic.name, 1)
        applier = BatchApplier(Tally("tally", [topic.name]), pool, kafka_bootstrap)
        await applier.apply(records[:51])  # the marker and the first 50 events
        assert await totals(dsn) == (50, 50, 50)
        projector = Projector(
            BatchApplier(Tally("tally", [topic.name]), pool, kafka_bootstrap),
            group_id=group,
            session_timeout_ms=SESSION_TIMEOUT_MS,
        )
        projector.register(broker)
        await broker.start()
        await wait_for(lambda: _reached(dsn, 100), timeout=60)
    finally:
        await broker.stop()
        await pool.close()
    assert await totals(dsn) == (100, 100, 100)
