"""Embedded PostgreSQL and broker start, serve and stop without leftovers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pathwise_devstack.embedded import EmbeddedBroker, EmbeddedPostgres

pytestmark = pytest.mark.integration


def _postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(proc)
    return found


async def test_postgres_creates_databases_and_stops_cleanly(tmp_path: Path) -> None:
    postgres = EmbeddedPostgres(base_dir=tmp_path)
    with postgres:
        data_dir = postgres.data_dir
        assert _postgres_processes(data_dir)
        dsn = await postgres.create_database("assessment")
        assert dsn == postgres.dsn("assessment")
        assert await postgres.create_database("assessment") == dsn
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT current_database()") == "assessment"
        finally:
            await conn.close()
    assert not _postgres_processes(data_dir)
    assert not data_dir.exists()


async def test_broker_round_trip_and_stop() -> None:
    broker = EmbeddedBroker()
    with broker:
        servers = broker.bootstrap_servers
        topic = f"devstack-{uuid.uuid4().hex[:8]}"
        admin = AIOKafkaAdminClient(bootstrap_servers=servers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"hello", key=b"k1")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=servers, group_id="devstack", auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            message = await asyncio.wait_for(consumer.getone(), timeout=15)
        finally:
            await consumer.stop()
        assert (message.key, message.value) == (b"k1", b"hello")
        pid = broker._process.pid if broker._process else None
    assert pid is not None
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
