"""Fixtures for profile-svc tests: the app in-process, tokens, reading the topic."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from pathwise_contracts import PATH_EVENTS, PROFILE_EVENTS, Topic
from pathwise_devstack.inprocess import Running
from pathwise_devstack.service_fixtures import service_fixtures
from pathwise_devstack.stack import Infrastructure
from pathwise_runtime import replay
from pathwise_runtime.service import open_pool, prepare_database
from profile_svc.main import SPEC
from profile_svc.projections.mastery import MasteryProjection
from profile_svc.projections.profiles import ProfilesProjection

auth, offline_client, service, published, wait_until = service_fixtures(SPEC, PROFILE_EVENTS)


@pytest.fixture
def replayed(
    service: Running, infrastructure: Infrastructure
) -> Callable[[str, Sequence[str]], Awaitable[None]]:
    """Rebuilds the projection into a fresh database and asserts it equals the live one.

    The horizon is read from the records themselves: the embedded broker reports
    too small an end offset after a multi-record batch (which the outbox relay
    sends for an enrollment), so ``pathwise replay`` would stop short here.
    Tables in ``filled`` must also have rows.
    """

    async def check(dsn: str, filled: Sequence[str]) -> None:
        bootstrap = infrastructure.bootstrap_servers
        horizon = await _log_ends(bootstrap, PROFILE_EVENTS)
        horizon |= await _log_ends(bootstrap, PATH_EVENTS)
        await prepare_database(dsn, SPEC.migrations)
        pool = await open_pool(dsn, min_size=1, max_size=2)
        try:
            for projection in (ProfilesProjection(), MasteryProjection()):
                await replay.rebuild(projection, pool, bootstrap, horizon)
                for table in projection.tables:
                    diff = await replay.compare(service.runtime.pool, pool, table)
                    assert diff.equal, diff
                    assert diff.live_rows or table not in filled, diff
        finally:
            await pool.close()

    return check


async def _log_ends(bootstrap: str, topic: Topic) -> dict[tuple[str, int], int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = {(topic.name, p): 0 for p in range(topic.partitions)}
        while fetched := await consumer.getmany(timeout_ms=1000):
            for tp, records in fetched.items():
                ends[(topic.name, tp.partition)] = records[-1].offset + 1
        return ends
    finally:
        await consumer.stop()
