"""Phone numbers notify-svc has texted, and those that said STOP, kept as keyed hashes.

An inbound message names only its sender's number. To act on STOP the service
must find whom it texted at that number without storing numbers in clear, so
each send records HMAC(number) next to the (student, guardian) it was for. A
STOP also lands here at once: carriers expect nothing more to reach that
number, and the profile's consent change takes a trip through the log first.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import asyncpg


def number_key(signing_key: bytes) -> bytes:
    """A key of its own for number hashes, derived from the service's signing key."""
    return hashlib.sha256(b"pathwise-sms-number|" + signing_key).digest()


def number_hash(key: bytes, number: str) -> str:
    normalised = "+" + "".join(c for c in number if c.isdigit())
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Recipient:
    district_id: str
    student_id: str
    guardian_id: str


async def remember(pool: asyncpg.Pool, phone_hash: str, recipient: Recipient) -> None:
    await pool.execute(
        """INSERT INTO sms_recipients (phone_hash, district_id, student_id, guardian_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        phone_hash,
        recipient.district_id,
        recipient.student_id,
        recipient.guardian_id,
    )


async def recipients(pool: asyncpg.Pool, phone_hash: str) -> list[Recipient]:
    rows = await pool.fetch(
        """SELECT district_id, student_id, guardian_id FROM sms_recipients
            WHERE phone_hash = $1 ORDER BY district_id, student_id, guardian_id""",
        phone_hash,
    )
    return [Recipient(r["district_id"], r["student_id"], r["guardian_id"]) for r in rows]


async def opt_out(pool: asyncpg.Pool, phone_hash: str) -> bool:
    """Record a STOP; False if the number had already stopped (no second confirmation)."""
    row = await pool.fetchrow(
        "INSERT INTO sms_opt_outs (phone_hash) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1",
        phone_hash,
    )
    return row is not None


async def opt_in(pool: asyncpg.Pool, phone_hash: str) -> None:
    await pool.execute("DELETE FROM sms_opt_outs WHERE phone_hash = $1", phone_hash)


async def stopped(pool: asyncpg.Pool, phone_hash: str) -> bool:
    row = await pool.fetchrow("SELECT 1 FROM sms_opt_outs WHERE phone_hash = $1", phone_hash)
    return row is not None
