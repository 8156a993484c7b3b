"""What a service implements to build a table from the log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg

from pathwise_contracts import Envelope, Event, derive_event_id
from pathwise_runtime.telemetry import current_trace_headers


@dataclass(frozen=True, slots=True)
class Delivered:
    """One decoded event and where it sits in the log."""

    envelope: Envelope
    event: Event
    topic: str
    partition: int
    offset: int


class Projection(Protocol):
    """A projection owns its tables and knows how to apply events to them.

    ``apply`` runs inside the transaction that also moves the watermarks and
    fills the outbox; it returns the events the batch derives. It must be
    deterministic in its input, because replay runs it again over the same log
    and must arrive at the same rows and the same event ids.
    """

    name: str
    topics: tuple[str, ...]
    tables: tuple[str, ...]

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]: ...


def derive(
    event: Event,
    cause: Envelope,
    *,
    source: str,
    parts: Sequence[str] = (),
    time: datetime | None = None,
) -> Envelope:
    """Wrap an event derived from ``cause`` with a deterministic id.

    The id is a UUIDv5 of the cause and what was derived, and the time is the
    cause's time, so a replay or a re-delivery produces the same event (only the
    trace context, which says who derived it this time, may differ).
    """
    trace = current_trace_headers()
    return Envelope.wrap(
        event,
        id=derive_event_id(cause.id, event.type, *parts),
        source=source,
        district_id=cause.districtid,
        time=time or cause.time,
        traceparent=trace.get("traceparent") or cause.traceparent,
        tracestate=trace.get("tracestate") or cause.tracestate,
    )
