"""`pathwise dlq redrive`: a record refused for a transient reason, once fixed and
re-driven, is applied exactly once, even when it is re-driven twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from runtime_support import assessment, new_topic, prepare, produce, wait_for

from pathwise_devstack.cli import main
from pathwise_devstack.deadletters import REDRIVE_HEADER, read_dead_letters, redrive
from pathwise_devstack.quick import SESSION_TIMEOUT_MS
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.outbox import OutboxRelay
from pathwise_runtime.projector import Projector
from pathwise_runtime.service import open_pool
from pathwise_runtime.tally import Tally

pytestmark = pytest.mark.integration


@asynccontextmanager
async def running(dsn: str, bootstrap: str, topic: str, poison: str | None) -> AsyncIterator[None]:
    """The tally projection with its relay, refusing `poison`'s events while it is set."""
    pool = await open_pool(dsn)
    broker = KafkaBroker(bootstrap)
    tally = Tally("tally", [topic], poison_student=poison)
    Projector(
        BatchApplier(tally, pool, bootstrap),
        group_id=f"redrive-{topic}",
        session_timeout_ms=SESSION_TIMEOUT_MS,  # joins within a second
    ).register(broker)
    relay = OutboxRelay(pool, dsn, bootstrap, poll_interval_s=0.2)
    await broker.start()
    await relay.start()
    try:
        yield
    finally:
        await relay.stop()
        await broker.stop()
        await pool.close()


async def _fetch(dsn: str, query: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


async def test_a_fixed_poison_record_is_redriven_and_applied_once(
    database: Callable[[], str], kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = database()
    await prepare(dsn)
    topic = await new_topic(kafka_bootstrap, partitions=1)
    await produce(kafka_bootstrap, topic.name, [assessment("s-1", n) for n in range(5)])
    await produce(kafka_bootstrap, topic.name, [assessment("flaky", 0)])
    await produce(kafka_bootstrap, topic.name, [assessment("s-1", n) for n in range(5, 10)])

    async def total() -> int:
        return await _fetch(dsn, "SELECT coalesce(sum(events), 0) FROM tally_totals")

    async def parked() -> bool:
        return len(await read_dead_letters(kafka_bootstrap, [topic.dlq])) == 1

    async with running(dsn, kafka_bootstrap, topic.name, poison="flaky"):
        await wait_for(lambda: _at_least(total, 10), timeout=60)
        await wait_for(parked, timeout=60)

    (letter,) = await read_dead_letters(kafka_bootstrap, [topic.dlq])
    assert letter.original_topic == topic.name
    assert letter.headers["dlq.original.offset"] == "6"  # after the creation marker and 5
    assert await cli(["dlq", "--bootstrap", kafka_bootstrap, "list", "--json"]) == 0
    assert await cli(["dlq", "--bootstrap", kafka_bootstrap, "show", letter.ref]) == 0
    assert "refused by this projection" in capsys.readouterr().out

    async with running(dsn, kafka_bootstrap, topic.name, poison=None):  # the cause is fixed
        assert await cli(["dlq", "--bootstrap", kafka_bootstrap, "redrive", letter.ref]) == 0
        await wait_for(lambda: _at_least(total, 11), timeout=20)
        # Re-driven a second time by mistake: same event id, so no second effect.
        ((_, _, offset),) = await redrive(kafka_bootstrap, [letter])
        await wait_for(lambda: _applied_past(dsn, topic.name, offset), timeout=60)

    assert await total() == 11
    assert await _fetch(dsn, "SELECT count(*) FROM tally_effects WHERE student_id = 'flaky'") == 1
    assert f"-> {topic.name}:0:" in capsys.readouterr().out
    assert REDRIVE_HEADER == "pathwise.redrive"


async def cli(argv: list[str]) -> int:
    """The real `pathwise` entry point, off the test's event loop (it runs its own)."""
    return await asyncio.to_thread(main, argv)


async def _at_least(total: Callable[[], object], expected: int) -> bool:
    value = await total()  # type: ignore[misc]
    return int(value) >= expected


async def _applied_past(dsn: str, topic: str, offset: int) -> bool:
    query = (
        f"SELECT coalesce(max(last_offset), -1) FROM pathwise_watermarks WHERE topic = '{topic}'"
    )
    return await _fetch(dsn, query) >= offset
