"""Reading and re-driving dead letters: what `pathwise dlq` does, testable without a CLI.

A DLQ record (see `pathwise_runtime.dlq`) keeps the original bytes and key and
says in `dlq.*` headers where it came from and why it was refused. Re-driving
publishes those bytes and that key to the original topic again, marked with
`pathwise.redrive`, once the cause is fixed. Exactly-once still holds: the
record gets a new offset (above every watermark) and the same event id, so a
projection applies it at most once however often it is re-driven.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from pathwise_contracts import all_topics
from pathwise_runtime.dlq import reason_of
from pathwise_runtime.topics import is_control, log_ends

REDRIVE_HEADER = "pathwise.redrive"


@dataclass(frozen=True)
class DeadLetter:
    """One parked record: where it sits in the DLQ and what its headers say."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: dict[str, str]

    @property
    def ref(self) -> str:
        """`<dlq topic>:<partition>:<offset>`, how `show` and `redrive` name a record."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def original_topic(self) -> str:
        return self.headers.get("dlq.original.topic", self.topic.removesuffix(".dlq"))


def parse_ref(ref: str) -> tuple[str, int, int]:
    """`topic:partition:offset` -> its parts; ValueError with the expected shape otherwise."""
    topic, partition, offset = ref.rsplit(":", 2)
    if not topic.endswith(".dlq"):
        raise ValueError(f"{topic!r} is not a dead-letter topic (<topic>.dlq)")
    return topic, int(partition), int(offset)


def dlq_topics() -> dict[str, int]:
    """Every DLQ the platform provisions, with its partition count."""
    return {t.name: t.partitions for t in all_topics() if t.name.endswith(".dlq")}


async def read_dead_letters(
    bootstrap: str, topics: Iterable[str] | None = None
) -> list[DeadLetter]:
    """Everything currently parked in the given DLQs (all of them by default)."""
    known = dlq_topics()
    wanted = {t: known.get(t, 1) for t in topics} if topics else known
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        available = await consumer.topics()
        tps = [TopicPartition(t, p) for t, n in wanted.items() if t in available for p in range(n)]
        if not tps:
            return []
        ends = await log_ends(consumer, tps)
        await consumer.seek_to_beginning(*tps)
        found: list[DeadLetter] = []
        todo = [tp for tp in tps if ends[tp] > 0]
        while todo:
            for records in (await consumer.getmany(*todo, timeout_ms=1000)).values():
                found.extend(_letter(r) for r in records if not is_control(r))
            todo = [tp for tp in todo if await consumer.position(tp) < ends[tp]]
        return sorted(found, key=lambda d: (d.topic, d.partition, d.offset))
    finally:
        await consumer.stop()


def _letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    return DeadLetter(
        record.topic,
        record.partition,
        record.offset,
        record.key or b"",
        record.value or b"",
        reason_of(list(record.headers or ())),
    )


async def redrive(bootstrap: str, letters: Iterable[DeadLetter]) -> list[tuple[str, int, int]]:
    """Publish each letter's original bytes and key to its original topic.

    Returns (topic, partition, offset) of each new record. Keyed like the original,
    so it lands on the student's partition and keeps per-student order from here on.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        sent = []
        for letter in letters:
            headers = [
                (REDRIVE_HEADER, letter.ref.encode()),
                ("dlq.reason", letter.headers.get("dlq.reason", "").encode()),
            ]
            meta = await producer.send_and_wait(
                letter.original_topic, letter.value, key=letter.key or None, headers=headers
            )
            sent.append((meta.topic, meta.partition, meta.offset))
        return sent
    finally:
        await producer.stop()
