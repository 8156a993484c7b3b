"""Topic provisioning and topic identity.

Offsets only mean something for one incarnation of a topic: if a topic is
deleted and created again, offset 0 is a different event, and a projection
whose watermark says "applied up to 500" would silently skip the new events.
Kafka's topic ids are not exposed by aiokafka, so every topic Pathwise creates
gets a *creation marker*: a control record at offset 0 of each partition that
names the incarnation. Projectors record it with their watermarks and refuse
to continue when the log under them is a different one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from pathwise_contracts import Topic, all_topics
from pathwise_runtime import kafka_security

log = logging.getLogger(__name__)

CONTROL_HEADER = "pathwise-control"
CREATED_MARKER = b"topic-created"


class TopicIdentityError(RuntimeError):
    """The log under a projection is not the one its watermarks were recorded on."""


def is_control(record: ConsumerRecord[bytes, bytes]) -> bool:
    return any(k == CONTROL_HEADER for k, _ in (record.headers or ()))


def marker_incarnation(record: ConsumerRecord[bytes, bytes]) -> str | None:
    """The incarnation a creation marker names, or None for any other record."""
    for k, v in record.headers or ():
        if k == CONTROL_HEADER and v == CREATED_MARKER:
            return str(json.loads(record.value)["incarnation"])
    return None


async def ensure_topics(bootstrap_servers: str, topics: Iterable[Topic] | None = None) -> list[str]:
    """Create missing topics (with their DLQs by default) and mark each new one.

    Returns the names created. Existing topics are left as they are.
    """
    wanted = list(all_topics() if topics is None else topics)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, **kafka_security.client_options()
    )
    await admin.start()
    created: list[str] = []
    try:
        existing = set(await admin.list_topics())
        for topic in wanted:
            if topic.name in existing:
                continue
            config = {
                "retention.ms": str(topic.retention_ms),
                "cleanup.policy": topic.cleanup_policy,
            }
            try:
                await admin.create_topics(
                    [NewTopic(topic.name, topic.partitions, 1, topic_configs=config)]
                )
            except TopicAlreadyExistsError:
                continue
            created.append(topic.name)
    finally:
        await admin.close()
    if created:
        await _write_markers(
            bootstrap_servers, {t.name: t.partitions for t in wanted if t.name in created}
        )
        log.info("topics created", extra={"topics": created})
    return created


async def _write_markers(bootstrap_servers: str, partitions: dict[str, int]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", **kafka_security.client_options()
    )
    await producer.start()
    try:
        sends = []
        for name, count in partitions.items():
            incarnation = str(uuid.uuid4())
            for partition in range(count):
                value = json.dumps(
                    {"incarnation": incarnation, "topic": name, "partition": partition}
                ).encode()
                sends.append(
                    await producer.send(
                        name,
                        value,
                        partition=partition,
                        headers=[(CONTROL_HEADER, CREATED_MARKER)],
                    )
                )
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


@dataclass(frozen=True, slots=True)
class PartitionLog:
    """What the broker says about one partition right now."""

    start: int
    end: int
    incarnation: str | None


async def log_ends(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """The offset after the last record of each partition, confirmed by reading.

    Some Kafka-protocol brokers (the embedded one among them) report a log end
    inside the last produced batch. Trusting it would make a replay stop short
    and a watermark look "beyond the log", so the end is read forward to be sure.
    """
    reported = await consumer.end_offsets(tps)
    ends = dict(reported)
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, max(0, reported[tp] - 1))
    quiet = 0
    while quiet < 2:
        fetched = await consumer.getmany(*tps, timeout_ms=200)
        records = [r for batch in fetched.values() for r in batch]
        quiet = 0 if records else quiet + 1
        for tp, batch in fetched.items():
            if batch:
                ends[tp] = max(ends[tp], batch[-1].offset + 1)
    return ends


async def inspect(
    bootstrap_servers: str, partitions: list[tuple[str, int]]
) -> dict[tuple[str, int], PartitionLog]:
    """Read log bounds and the creation marker of each partition, without a group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        **kafka_security.client_options(),
    )
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t, p in partitions]
        consumer.assign(tps)
        starts = await consumer.beginning_offsets(tps)
        ends = await log_ends(consumer, tps)
        result: dict[tuple[str, int], PartitionLog] = {}
        for tp in tps:
            incarnation = None
            if starts[tp] == 0 and ends[tp] > 0:
                consumer.seek(tp, 0)
                batch = await consumer.getmany(tp, timeout_ms=5000, max_records=1)
                records = batch.get(tp, [])
                if records and records[0].offset == 0:
                    incarnation = marker_incarnation(records[0])
            result[(tp.topic, tp.partition)] = PartitionLog(starts[tp], ends[tp], incarnation)
        return result
    finally:
        await consumer.stop()


def identity_problem(
    topic: str, partition: int, last_offset: int, recorded: str | None, log_now: PartitionLog
) -> str | None:
    """Why a watermark does not belong to this log, or None when it does."""
    if recorded and log_now.incarnation and recorded != log_now.incarnation:
        return (
            f"{topic}[{partition}] was recreated: watermark recorded on incarnation {recorded}, "
            f"the log now is {log_now.incarnation}; rebuild with `pathwise replay`"
        )
    if log_now.end <= last_offset:
        return (
            f"{topic}[{partition}] ends at offset {log_now.end} but offset {last_offset} "
            "was already applied: the topic was truncated or recreated; "
            "rebuild with `pathwise replay`"
        )
    return None
