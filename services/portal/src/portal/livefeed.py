"""Live updates: path.events.v1 fanned out to the browsers watching a student.

This is a live feed, not a projection: the portal's consumer has no group
(nothing is committed, every portal replica sees every event), starts at the
end of the log and keeps nothing. Each record's key is the student id and its
``ce_type`` header the event type, so nothing is decoded beyond that. A
subscriber is added only after the upstream service confirmed the user may see
the student (``live.py``); a slow browser loses updates rather than holding
memory (its queue is bounded; the page refreshes from the API anyway).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from pathwise_contracts import PATH_EVENTS
from pathwise_runtime import kafka_security

log = logging.getLogger(__name__)
QUEUE_SIZE = 16


@dataclass(frozen=True, slots=True)
class Update:
    student_id: str
    event_type: str
    """The event's short name, e.g. ``PathReplanned``."""


def short_type(ce_type: str) -> str:
    """``org.pathwise.path.PathReplanned.v1`` -> ``PathReplanned`` (the name before the version)."""
    parts = ce_type.rsplit(".", 2)
    return parts[-2] if len(parts) >= 2 else ce_type


class Hub:
    """Subscribers per student; publishing never blocks."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Update]]] = {}

    def publish(self, update: Update) -> int:
        """Hand the update to each subscriber of its student; how many got it."""
        delivered = 0
        for queue in list(self._subscribers.get(update.student_id, ())):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(update)
                delivered += 1
        return delivered

    @contextlib.contextmanager
    def subscribe(self, student_id: str) -> Iterator[asyncio.Queue[Update]]:
        queue: asyncio.Queue[Update] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers.setdefault(student_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(student_id, set())
            queues.discard(queue)
            if not queues:
                self._subscribers.pop(student_id, None)

    def watching(self, student_id: str) -> int:
        return len(self._subscribers.get(student_id, ()))


class Feed:
    """Consumes path.events.v1 from the log end into a Hub, reconnecting on failure."""

    def __init__(self, bootstrap: str, hub: Hub) -> None:
        self._bootstrap = bootstrap
        self._hub = hub
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="portal-live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async for update in self._records():
                    self._hub.publish(update)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live feed interrupted; reconnecting", exc_info=True)
                self.connected.clear()
                await asyncio.sleep(2.0)

    async def _records(self) -> AsyncIterator[Update]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            **kafka_security.client_options(),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=200,
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(PATH_EVENTS.name, p) for p in range(PATH_EVENTS.partitions)
            ]
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)  # resolve the end now: later events are live
            self.connected.set()
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                for records in batches.values():
                    for record in records:
                        headers = dict(record.headers or ())
                        ce_type = headers.get("ce_type", b"").decode()
                        key = (record.key or b"").decode()
                        if key and ce_type:
                            yield Update(student_id=key, event_type=short_type(ce_type))
        finally:
            await consumer.stop()
