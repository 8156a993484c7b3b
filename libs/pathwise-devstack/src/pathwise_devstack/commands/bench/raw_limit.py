"""The raw limit: an aiokafka consumer (no group), `json.loads` and asyncpg COPY.

The ceiling the projectors are measured against: no framework, no
watermarks, one transaction per 5,000 events."""

from __future__ import annotations

import json
import time
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from pathwise_devstack.commands.bench.workload import RAW_BATCH, BenchError, Stall, Workload, rate
from pathwise_runtime.topics import is_control

RAW_TABLE = """
CREATE TABLE bench_raw_effects (
    event_id   uuid   NOT NULL,
    student_id text   NOT NULL,
    topic      text   NOT NULL,
    partition  int    NOT NULL,
    "offset"   bigint NOT NULL
)
"""
RAW_COLUMNS = ["event_id", "student_id", "topic", "partition", "offset"]


async def measure_raw_limit(bootstrap: str, dsn: str, workload: Workload) -> dict[str, Any]:
    """Consume without a group + json.loads + COPY, one transaction per RAW_BATCH events."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(RAW_TABLE)
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        started = time.perf_counter()
        await consumer.start()
        try:
            partitions = [
                TopicPartition(workload.topic.name, p) for p in range(workload.topic.partitions)
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            copied, transactions = 0, 0
            pending: list[tuple[str, str, str, int, int]] = []
            stall = Stall("raw limit")
            while copied < workload.events:
                fetched = await consumer.getmany(
                    timeout_ms=200, max_records=RAW_BATCH - len(pending)
                )
                for records in fetched.values():
                    for record in records:
                        if is_control(record):
                            continue
                        body = json.loads(record.value or b"")
                        pending.append(
                            (
                                body["id"],
                                body["subject"],
                                record.topic,
                                record.partition,
                                record.offset,
                            )
                        )
                if len(pending) >= RAW_BATCH or copied + len(pending) >= workload.events:
                    async with conn.transaction():
                        await conn.copy_records_to_table(
                            "bench_raw_effects", records=pending, columns=RAW_COLUMNS
                        )
                    copied += len(pending)
                    transactions += 1
                    pending = []
                stall.check(copied + len(pending), workload.events)
            elapsed = time.perf_counter() - started
        finally:
            await consumer.stop()
        rows = await conn.fetchval("SELECT count(*) FROM bench_raw_effects")
    finally:
        await conn.close()
    if rows != workload.events:
        raise BenchError(f"raw limit: {rows} rows copied, expected {workload.events}")
    return {**rate(copied, elapsed), "transactions": transactions, "batch": RAW_BATCH}
