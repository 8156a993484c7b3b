"""Raw vendor documents leave the submissions topic once they are admitted.

A vendor writes its own format to ``assessment.submissions.v1``, names and
mailboxes in clear. Once admitted, what counts is sealed on
``assessment.events.v1``; the raw record is not needed any more, so this loop
deletes every record below the ingest consumer's watermark (Kafka DeleteRecords,
one request for all partitions). A broker that cannot delete records (the
embedded development broker) is reported once, and the topic's retention
(``SUBMISSIONS_RETENTION_MS``) bounds how long raw documents stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from assessment_svc.settings import AssessmentSettings
from assessment_svc.workers.submissions import CONSUMER
from pathwise_contracts import ASSESSMENT_SUBMISSIONS
from pathwise_runtime import kafka_security, metrics
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)


def deletable(admitted: Mapping[int, int], pruned: Mapping[int, int]) -> dict[int, int]:
    """Per partition, the offset to delete below: one past the last admitted record,
    where that moved since the last pruning."""
    return {
        partition: last + 1
        for partition, last in admitted.items()
        if last >= 0 and last + 1 > pruned.get(partition, 0)
    }


async def admitted_through(pool: asyncpg.Pool) -> dict[int, int]:
    """The ingest consumer's watermark per partition: the last offset admitted."""
    rows = await pool.fetch(
        """SELECT partition, last_offset FROM pathwise_watermarks
            WHERE projection = $1 AND topic = $2""",
        CONSUMER,
        ASSESSMENT_SUBMISSIONS.name,
    )
    return {r["partition"]: r["last_offset"] for r in rows}


@dataclass
class Pruner:
    """Deletes admitted raw submissions; remembers how far it got and whether it can."""

    pool: asyncpg.Pool
    admin: AIOKafkaAdminClient
    pruned: dict[int, int]
    supported: bool | None = None
    service: str = "assessment-svc"

    async def prune_once(self) -> dict[int, int]:
        """Delete what was admitted since last time; what was deleted, per partition."""
        todo = deletable(await admitted_through(self.pool), self.pruned)
        if not todo:
            return {}
        request = {
            TopicPartition(ASSESSMENT_SUBMISSIONS.name, p): RecordsToDelete(before_offset=o)
            for p, o in todo.items()
        }
        try:
            await self.admin.delete_records(request)
        except (KafkaError, OSError) as exc:
            self._report(False, f"{type(exc).__name__}: {exc}")
            return {}
        self._report(True, "")
        self.pruned.update(todo)
        for partition, offset in todo.items():
            metrics.SUBMISSIONS_PRUNED_BELOW.labels(self.service, str(partition)).set(offset)
        return todo

    def _report(self, supported: bool, why: str) -> None:
        metrics.SUBMISSIONS_PRUNING_SUPPORTED.labels(self.service).set(1 if supported else 0)
        if supported == self.supported:
            return
        self.supported = supported
        if supported:
            log.info("admitted raw submissions are deleted from the topic")
        else:
            log.warning(
                "the broker did not delete admitted raw submissions; they stay until the "
                "topic's retention removes them",
                extra={"reason": why[:300]},
            )


async def start_pruning(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """Worker: prune the submissions topic every SUBMISSIONS_PRUNE_INTERVAL_S."""
    interval = AssessmentSettings().submissions_prune_interval_s
    if interval <= 0:
        return _nothing
    settings = runtime.settings
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        **kafka_security.client_options(settings),
    )
    pruner = Pruner(runtime.pool, admin, {}, service=settings.service_name)

    async def run() -> None:
        started = False
        while True:
            await asyncio.sleep(interval)
            try:
                if not started:  # a broker down at start only delays pruning
                    await admin.start()
                    started = True
                await pruner.prune_once()
            except (asyncpg.PostgresError, KafkaError, OSError) as exc:
                log.warning("submissions pruning skipped", extra={"error": str(exc)[:300]})

    task = asyncio.create_task(run(), name="assessment-submissions-pruning")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await admin.close()

    return stop


async def _nothing() -> None:
    return None
