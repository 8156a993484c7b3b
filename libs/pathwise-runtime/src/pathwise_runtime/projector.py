"""A projection as a FastStream subscriber with at-least-once delivery.

``AckPolicy.MANUAL``: FastStream's Kafka default acknowledges before the
handler runs (at-most-once). Here offsets are committed only after the batch
transaction committed; on an infrastructure error the consumer is rewound
(nack) and the batch is tried again after a back-off.

Committed offsets are only a hint (a member resumes from the watermarks in
Postgres) that lag-based autoscaling reads, so they go at most once per
``commit_interval_s``, the offsets of the batches applied since: each commit
costs the broker about as much as a fetch, and under load batches come every
few tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from pathwise_runtime import metrics
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.topics import TopicIdentityError

log = logging.getLogger(__name__)


class Projector:
    """Keeps one projection up to date; reports whether it is healthy."""

    def __init__(
        self,
        applier: BatchApplier,
        *,
        group_id: str,
        max_records: int = 2000,
        batch_timeout_ms: int = 50,
        max_backoff_s: float = 10.0,
        session_timeout_ms: int = 10_000,
        fetch_max_wait_ms: int = 100,
        commit_interval_s: float = 1.0,
    ) -> None:
        self.applier = applier
        self.group_id = group_id
        self._max_records = max_records
        self._batch_timeout_ms = batch_timeout_ms
        self._max_backoff = max_backoff_s
        # How long a SIGKILLed member holds its partitions before the group moves on.
        self._session_timeout_ms = session_timeout_ms
        # How long an empty fetch may wait at the broker: a bound on the latency each
        # hop adds when the log is quiet (some brokers do not answer early on new data).
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._failures = 0
        self._commit_interval_s = commit_interval_s
        self._uncommitted: dict[TopicPartition, int] = {}
        self._committed_at = -commit_interval_s
        self._committing: asyncio.Task[None] | None = None
        self._subscriber: Any = None
        self.assigned: set[TopicPartition] = set()
        self.has_assignment = asyncio.Event()
        self._problem: str | None = None
        labels = (applier.service, applier.projection.name)
        self._halted = metrics.HALTED.labels(*labels)
        self._assigned_gauge = metrics.ASSIGNED.labels(*labels)
        self._halted.set(0)

    @property
    def problem(self) -> str | None:
        """Why the projection does not advance (readiness says it), or None."""
        return self._problem

    @problem.setter
    def problem(self, reason: str | None) -> None:
        self._problem = reason
        self._halted.set(0 if reason is None else 1)

    def forget_offsets(self, revoked: set[TopicPartition]) -> None:
        """Revoked partitions' offsets are their next owner's to commit."""
        for tp in revoked:
            self._uncommitted.pop(tp, None)

    def assignment_changed(self) -> None:
        self._assigned_gauge.set(len(self.assigned))

    @property
    def name(self) -> str:
        return self.applier.projection.name

    def register(self, broker: KafkaBroker) -> None:
        subscriber = broker.subscriber(
            *self.applier.projection.topics,
            group_id=self.group_id,
            batch=True,
            max_records=self._max_records,
            batch_timeout_ms=self._batch_timeout_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=max(100, self._session_timeout_ms // 5),
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            listener=_Assignment(self),
            decoder=_raw,
            title=f"{self.name}:consume",
        )
        subscriber(self._handle)
        self._subscriber = subscriber

    async def resume_from_watermarks(self, assigned: set[TopicPartition]) -> None:
        """Start each assigned partition right after its watermark in Postgres.

        The database, not the consumer group, says what was applied: a restored
        backup or a rebuilt database (``pathwise replay --keep``) resumes exactly
        where its own watermarks are, and committed offsets are only a hint.
        """
        consumer = getattr(self._subscriber, "consumer", None)
        if consumer is None or not assigned:
            return
        marks = await self.applier.watermarks([(tp.topic, tp.partition) for tp in assigned])
        for tp in assigned:
            last = marks.get((tp.topic, tp.partition))
            if last is not None:
                consumer.seek(tp, last + 1)

    async def _handle(self, message: KafkaMessage) -> None:
        raw = message.raw_message
        records = raw if isinstance(raw, tuple) else (raw,)
        try:
            await self.applier.apply(records)
        except TopicIdentityError as exc:
            self.problem = str(exc)
            log.critical("projection halted", extra={"projection": self.name, "reason": str(exc)})
            await self._retry_later(message, self._max_backoff)
            return
        except Exception as exc:
            self._failures += 1
            self.problem = f"{type(exc).__name__}: {exc}"
            log.exception("batch failed, will retry", extra={"projection": self.name})
            await self._retry_later(message, min(self._max_backoff, 0.2 * 2**self._failures))
            return
        self._failures = 0
        self.problem = None
        self._applied(records)

    def _applied(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Note the offsets after an applied batch; commit them now or when the interval ends."""
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            self._uncommitted[tp] = max(self._uncommitted.get(tp, 0), r.offset + 1)
        if self._committing is None:
            delay = self._committed_at + self._commit_interval_s - time.monotonic()
            self._committing = asyncio.create_task(
                self._commit_after(max(0.0, delay)), name=f"{self.name}:commit"
            )

    async def _commit_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        offsets = {tp: o for tp, o in self._uncommitted.items() if tp in self.assigned}
        self._uncommitted = {}
        self._committing = None
        self._committed_at = time.monotonic()
        consumer = getattr(self._subscriber, "consumer", None)
        if consumer is None or not offsets:
            return
        try:
            await consumer.commit(offsets)
        except Exception as exc:  # a hint only; the next commit or the watermarks cover it
            log.info("offset commit skipped", extra={"projection": self.name, "error": repr(exc)})

    async def _retry_later(self, message: Any, delay: float) -> None:
        await asyncio.sleep(delay)
        await message.nack()


def _raw(message: Any) -> Any:
    """Skip FastStream's body decoding: the applier parses each envelope itself."""
    return message.body


class _Assignment(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, projector: Projector) -> None:
        self._projector = projector

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._projector.assigned -= set(revoked)
        self._projector.forget_offsets(set(revoked))
        self._projector.assignment_changed()
        self._projector.applier.forget_assignment()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._projector.assigned |= set(assigned)
        self._projector.assignment_changed()
        self._projector.applier.forget_assignment()
        await self._projector.resume_from_watermarks(set(assigned))
        self._projector.has_assignment.set()
        log.info(
            "partitions assigned",
            extra={"projection": self._projector.name, "partitions": len(assigned)},
        )
