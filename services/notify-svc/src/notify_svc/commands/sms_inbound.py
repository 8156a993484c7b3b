"""Replies from families acted on once: the provider's message id marks a reply as handled.

Twilio signs a callback but puts no time in it, so a captured STOP could be
replayed for ever; providers also retry a callback that timed out. A reply
is marked only after it was acted on, so a retry after a failure still acts.
"""

from __future__ import annotations

import asyncpg


async def acted_on(pool: asyncpg.Pool, provider: str, message_id: str) -> bool:
    """Whether this reply was already handled."""
    found = await pool.fetchval(
        "SELECT true FROM sms_inbound_seen WHERE provider = $1 AND message_id = $2",
        provider,
        message_id,
    )
    return bool(found)


async def mark_acted(pool: asyncpg.Pool, provider: str, message_id: str) -> None:
    await pool.execute(
        """INSERT INTO sms_inbound_seen (provider, message_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        provider,
        message_id,
    )
