"""Queuing wakes the relay once, on commit, and only when a message was new."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest
from runtime_support import assessment, prepare

from pathwise_runtime import outbox

pytestmark = pytest.mark.integration

SENTINEL = "pathwise_test_sentinel"


async def test_a_new_message_wakes_the_relay_on_commit_and_a_duplicate_does_not(
    database: Callable[[], str],
) -> None:
    dsn = database()
    await prepare(dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener, writer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        for channel in (outbox.CHANNEL, SENTINEL):
            await listener.add_listener(channel, lambda _c, _p, ch, _m: heard.put_nowait(ch))
        messages = [outbox.message_for("t.v1", assessment("s1", n)) for n in range(3)]
        async with writer.transaction():
            assert await outbox.add(writer, messages) == 3
            assert heard.empty()  # nothing before the commit
        assert await asyncio.wait_for(heard.get(), 60) == outbox.CHANNEL
        async with writer.transaction():
            assert await outbox.add(writer, messages) == 0
        await writer.execute(f"NOTIFY {SENTINEL}")
        # Notifications arrive in commit order: the sentinel first means no wake-up.
        assert await asyncio.wait_for(heard.get(), 60) == SENTINEL
        assert await writer.fetchval("SELECT count(*) FROM pathwise_outbox") == 3
    finally:
        await listener.close()
        await writer.close()
