"""Faults on the hot path: a broker away, a row the broker will never take, a database
error that says nothing about the record."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from runtime_support import assessment, new_topic, prepare, produce, read_topic, wait_for

from pathwise_devstack.ports import free_port
from pathwise_runtime import outbox
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.outbox import OutboxMessage, OutboxRelay
from pathwise_runtime.projection import Delivered
from pathwise_runtime.service import ServiceSpec, create_app, open_pool, readiness
from pathwise_runtime.settings import ServiceSettings
from pathwise_runtime.tally import Tally

pytestmark = pytest.mark.integration


async def _queue(dsn: str, messages: list[OutboxMessage]) -> None:
    pool = await open_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, messages)
    finally:
        await pool.close()


def _ids(records: list[Any]) -> list[str]:
    """Event ids on the topic, past its creation marker."""
    values = [bytes(r.value or b"") for r in records]
    return [json.loads(v)["id"] for v in values if b"specversion" in v]


async def test_the_relay_rides_out_a_broker_outage_and_says_why_meanwhile(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=1)
    envelopes = [assessment("stu-outage", n) for n in range(3)]
    await _queue(dsn, [outbox.message_for(topic.name, e) for e in envelopes])
    away = f"127.0.0.1:{free_port()}"  # nothing listens: the broker is down
    attempts: list[str] = []

    def producer(**options: Any) -> AIOKafkaProducer:
        attempts.append(options["bootstrap_servers"])
        down = len(attempts) <= 2  # the first two tries meet the outage
        return AIOKafkaProducer(
            **{**options, "bootstrap_servers": away if down else kafka_bootstrap}
        )

    pool = await open_pool(dsn, min_size=1, max_size=4)
    relay = OutboxRelay(pool, dsn, kafka_bootstrap, poll_interval_s=0.1, producer_factory=producer)
    runtime = SimpleNamespace(projectors=[], relay=relay)
    try:
        await relay.start()

        async def failing() -> bool:
            return relay.problem is not None

        await wait_for(failing, 60)
        assert "Kafka" in (relay.problem or "")
        answer = readiness(runtime)  # type: ignore[arg-type]
        assert answer.status_code == 503
        assert json.loads(answer.body)["outbox"]["problem"] == relay.problem

        async def recovered() -> bool:
            return relay.problem is None and relay.published == len(envelopes)

        await wait_for(recovered, 120)
        assert readiness(runtime).status_code == 200  # type: ignore[arg-type]
        assert len(attempts) >= 3
        records = await read_topic(kafka_bootstrap, topic.name, 1)
        ids = [
            json.loads(r.value or b"")["id"] for r in records if b"specversion" in (r.value or b"")
        ]
        assert ids == [str(e.id) for e in envelopes]  # all of them, in order, once
    finally:
        await relay.stop()
        await pool.close()


async def test_a_row_too_large_for_the_broker_is_moved_aside_and_never_blocks_the_rest(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=1)
    before, after = assessment("stu-big", 1), assessment("stu-big", 2)
    huge = outbox.message_for(topic.name, assessment("stu-big", 0))
    huge = OutboxMessage(huge.event_id, huge.topic, huge.key, b"x" * (2 << 20), huge.headers)
    await _queue(
        dsn,
        [
            outbox.message_for(topic.name, before),
            huge,
            outbox.message_for(topic.name, after),
        ],
    )
    pool = await open_pool(dsn, min_size=1, max_size=4)
    relay = OutboxRelay(pool, dsn, kafka_bootstrap, poll_interval_s=0.1)
    try:
        await relay.start()

        async def settled() -> bool:
            return relay.published == 2 and relay.dead == 1

        await wait_for(settled, 60)
        assert relay.problem is None
        async with pool.acquire() as conn:
            dead = await conn.fetch("SELECT event_id, reason FROM pathwise_outbox_dead")
            left = await conn.fetchval(
                "SELECT count(*) FROM pathwise_outbox WHERE published_at IS NULL"
            )
        assert [str(r["event_id"]) for r in dead] == [huge.event_id] and left == 0
        assert "MessageSizeTooLarge" in dead[0]["reason"]
        records = await read_topic(kafka_bootstrap, topic.name, 1)
        ids = [
            json.loads(r.value or b"")["id"] for r in records if b"specversion" in (r.value or b"")
        ]
        assert ids == [str(before.id), str(after.id)]
    finally:
        await relay.stop()
        await pool.close()


class Contended(Tally):
    """A tally whose first batch meets a serialization failure (another writer won)."""

    def __init__(self, topic: str) -> None:
        super().__init__("contended", [topic])
        self.failures = 0

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> Any:
        if self.failures == 0:
            self.failures += 1
            raise asyncpg.SerializationError("could not serialize access")
        return await super().apply(conn, batch)


async def test_a_transient_database_error_retries_the_batch_and_dead_letters_nothing(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=1)
    await produce(kafka_bootstrap, topic.name, [assessment("stu-busy", n) for n in range(5)])
    records = await read_topic(kafka_bootstrap, topic.name, 1)
    pool = await open_pool(dsn, min_size=1, max_size=4)
    projection = Contended(topic.name)
    applier = BatchApplier(projection, pool, kafka_bootstrap)
    try:
        with pytest.raises(asyncpg.SerializationError):  # the projector backs off and retries
            await applier.apply(records)
        await applier.apply(records)
        async with pool.acquire() as conn:
            dead = await conn.fetchval(
                "SELECT count(*) FROM pathwise_outbox WHERE topic = $1", topic.dlq
            )
            applied = await conn.fetchval("SELECT count(*) FROM tally_effects")
    finally:
        await pool.close()
    assert (dead, applied, applier.stats.dead_lettered) == (0, 5, 0)


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def test_a_service_started_before_its_database_waits_says_why_and_starts_when_it_answers(
    database: Callable[[], str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    real = urlsplit(database())
    port = free_port()  # where the service looks for Postgres: nothing there yet
    user = real.netloc.rsplit("@", 1)[0] if "@" in real.netloc else "postgres"
    dsn = urlunsplit(("postgresql", f"{user}@127.0.0.1:{port}", real.path, "", ""))
    settings = ServiceSettings(
        DATABASE_URL=dsn,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        SERVICE_NAME="waiting-svc",
        PATHWISE_AUTH_DEV_SECRET="s" * 32,
    )
    app = create_app(ServiceSpec(name="waiting-svc", migrations=tmp_path), settings)
    waits: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = waits.append  # type: ignore[method-assign]
    logging.getLogger("pathwise_runtime.dependencies").addHandler(handler)
    started = asyncio.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    query = dict(parse_qsl(real.query))

    async def pipe(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if "host" in query:  # the embedded server listens on a socket
            socket = f"{query['host']}/.s.PGSQL.{query.get('port', real.port or 5432)}"
            server_r, server_w = await asyncio.open_unix_connection(socket)
        else:
            server_r, server_w = await asyncio.open_connection(real.hostname, real.port)
        await asyncio.gather(_forward(client_r, server_w), _forward(server_r, client_w))

    running = asyncio.create_task(serve())
    try:
        async with asyncio.timeout(60):
            while not waits:
                await asyncio.sleep(0.05)
        assert not started.is_set()
        assert getattr(waits[0], "for") == "the database"
        assert "Connect" in waits[0].error or "refused" in waits[0].error
        proxy = await asyncio.start_server(pipe, "127.0.0.1", port)  # the database is back
        async with proxy, asyncio.timeout(60):
            await started.wait()
            stop.set()
            await running
    finally:
        logging.getLogger("pathwise_runtime.dependencies").removeHandler(handler)
        stop.set()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await running
