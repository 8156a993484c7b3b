"""Claiming event ids: first deliveries only, claims in delivery order, overlapped with decoding."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest
from runtime_support import assessment

from pathwise_runtime import claims
from pathwise_runtime.projection import Delivered

pytestmark = pytest.mark.unit


def delivered(n: int, offset: int) -> Delivered:
    envelope = assessment(f"s{n}", n)
    return Delivered(envelope, envelope.event(), "t", 0, offset)


def again(item: Delivered, offset: int) -> Delivered:
    return Delivered(item.envelope, item.event, item.topic, item.partition, offset)


def test_known_ids_and_repeats_inside_the_batch_are_dropped() -> None:
    a, b, c = delivered(1, 0), delivered(2, 1), delivered(3, 2)
    batch = [a, b, again(a, 3), c, again(c, 4)]
    assert claims.first_deliveries(batch, {b.envelope.id}) == [a, c]


class FakeConnection:
    """Answers a claim with the ids it already holds; refuses overlapping queries."""

    def __init__(self, known: set[UUID]) -> None:
        self.known = set(known)
        self.claims: list[list[UUID]] = []
        self._busy = False

    async def fetch(self, query: str, projection: str, ids: list[UUID]) -> list[dict[str, Any]]:
        assert not self._busy, "one query at a time on a connection"
        self._busy = True
        try:
            await asyncio.sleep(0.001)
            self.claims.append(list(ids))
            found = [{"event_id": i} for i in dict.fromkeys(ids) if i in self.known]
            self.known.update(ids)
            return found
        finally:
            self._busy = False


def decode(chunk: Sequence[Delivered | str]) -> tuple[list[Delivered], list[str]]:
    good = [r for r in chunk if isinstance(r, Delivered)]
    return good, [r for r in chunk if isinstance(r, str)]


async def test_claims_run_in_order_one_at_a_time_and_keep_first_deliveries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(claims, "CHUNK", 3)
    items = [delivered(n, n) for n in range(10)]
    applied_before = items[4]
    records: list[Delivered | str] = [*items[:6], "bad", again(items[1], 10), *items[6:]]
    conn = FakeConnection({applied_before.envelope.id})
    first, rejected = await claims.decode_and_claim(conn, "p", records, decode)  # type: ignore[arg-type]
    assert first == [d for d in items if d is not applied_before]
    assert rejected == ["bad"]
    assert [i for chunk in conn.claims for i in chunk] == [
        d.envelope.id for d in records if isinstance(d, Delivered)
    ]


async def test_a_decoding_failure_waits_for_the_claim_in_flight() -> None:
    conn = FakeConnection(set())
    calls = 0

    def failing(chunk: Sequence[Delivered]) -> tuple[list[Delivered], list[str]]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("decoder broke")
        return list(chunk), []

    records = [delivered(n, n) for n in range(claims.CHUNK + 1)]
    with pytest.raises(RuntimeError):
        await claims.decode_and_claim(conn, "p", records, failing)  # type: ignore[arg-type]
    assert not conn._busy
    assert len(conn.claims) == 1
