"""The Kafka front door: ``assessment.submissions.v1`` in any supported format.

Bulk producers write documents in a standard's own format and name it in the
``content-type`` header. Each producer signs its records (``producers``): the
district a record speaks for is the one its producer's credential names.
Each batch is admitted in one transaction together with the consumer's
watermarks (so a redelivery is skipped and nothing is admitted twice); a
record that cannot be admitted goes to the DLQ with the reason, in the same
transaction, and the stream goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pydantic import ValidationError

from assessment_svc.adapters.keyring import Keys
from assessment_svc.commands import admission, ingestion, statement_store
from assessment_svc.domain import producers, standards, xapi, xapi_attachments
from assessment_svc.domain.evidence import Invalid
from assessment_svc.domain.submission import Submission
from assessment_svc.settings import AssessmentSettings
from pathwise_contracts import ASSESSMENT_SUBMISSIONS, derive_event_id, signing
from pathwise_runtime import kafka_security, outbox, topics, watermarks
from pathwise_runtime.dlq import dlq_message
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)
CONSUMER = "ingest"
DISTRICT_HEADER = "pathwise-district"
"""Optional; when present it must agree with the producer's district."""

NATIVE = "application/vnd.pathwise.assessment+json"
XAPI = "application/vnd.xapi.statement+json"
ONEROSTER = "application/vnd.oneroster.result+json"
EDFI = "application/vnd.edfi.student-assessment+json"
CALIPER = "application/vnd.caliper.envelope+json"
FORMATS = (NATIVE, XAPI, ONEROSTER, EDFI, CALIPER)


class Refused(ValueError):
    """Why a submission record was not admitted (becomes ``dlq.reason``)."""


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key.lower() == name:
            return bytes(value).decode("utf-8", "replace")
    return None


async def admit_record(
    conn: asyncpg.Connection,
    record: ConsumerRecord[bytes, bytes],
    *,
    district: str,
    source: str,
    keys: Keys,
    credentials: Mapping[str, producers.Producer] | None = None,
) -> int:
    """Admit one record in the caller's transaction; raises Refused with the reason.

    With ``credentials`` every record must be signed by one of them and speaks for
    that producer's district; without, for ``district`` (a one-district deployment).
    """
    content_type = (_header(record, "content-type") or "").split(";")[0].strip().lower()
    if content_type not in FORMATS:
        raise Refused(f"content-type must be one of {', '.join(FORMATS)}; got {content_type!r}")
    district = _district(record, content_type, district, credentials)
    try:
        body: Any = json.loads(record.value or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Refused(f"body: not JSON ({exc})") from exc
    try:
        if content_type == NATIVE:
            submission = Submission.model_validate(body)
            recorded = await ingestion.record_in(conn, submission, district=district, source=source)
            if recorded.outcome is ingestion.Outcome.CONFLICT:
                raise Refused(f"source_id: {submission.source_id!r} recorded with other content")
            return 1
        if content_type == XAPI:
            statements = xapi.parse(body)
            # A record carries no parts: every attachment must point at its content.
            xapi_attachments.match(statements, {})
            # An id the LRS assigns follows from the record, so a record read again
            # (a rebalance before its offset committed) names the same statements.
            ids = [
                s.id
                or str(
                    derive_event_id(
                        "xapi-record",
                        record.topic,
                        f"{record.partition}",
                        f"{record.offset}",
                        f"{i}",
                    )
                )
                for i, s in enumerate(statements)
            ]
            lrs = statement_store.Lrs(
                keyring=keys.keyring,
                keystore=keys.keystore,
                source=source,
                district=district,
                authority={
                    "objectType": "Agent",
                    "account": {"homePage": "urn:pathwise:lrs", "name": "kafka"},
                },
            )
            await statement_store.store_statements_in(conn, statements, lrs, ids=ids)
            return len(statements)
        if content_type == ONEROSTER:
            sourced_id = (
                (body.get("result") or {}).get("sourcedId") if isinstance(body, dict) else None
            )
            if not isinstance(sourced_id, str) or not sourced_id:
                raise Invalid("result.sourcedId", "required on the ingest topic")
            items = standards.oneroster(sourced_id, body, keys.keyring.identities(district))
        elif content_type == EDFI:
            items = standards.edfi(body, keys.keyring.identities(district))
        else:
            items, _ = standards.caliper(body, keys.keyring.identities(district))
        await admission.admit(conn, items, district=district, source=source)
        return len(items)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise Refused(f"{field}: {first['msg']}") from exc
    except xapi.StatementError as exc:
        raise Refused(str(exc)) from exc
    except (Invalid, admission.Conflict, statement_store.InvalidVoid) as exc:
        raise Refused(str(exc)) from exc


def _district(
    record: ConsumerRecord[bytes, bytes],
    content_type: str,
    default: str,
    credentials: Mapping[str, producers.Producer] | None,
) -> str:
    district = default
    if credentials:
        try:
            district = producers.authenticate(
                credentials,
                producer_id=_header(record, signing.PRODUCER_HEADER),
                signed=_header(record, signing.SIGNATURE_HEADER),
                content_type=content_type,
                record_key=record.key or b"",
                value=record.value or b"",
            ).district
        except producers.Unauthenticated as exc:
            raise Refused(str(exc)) from exc
    named = _header(record, DISTRICT_HEADER)
    if named is not None and named != district:
        raise Refused(f"{DISTRICT_HEADER}: {named!r} is not the district this producer speaks for")
    return district


async def apply_batch(
    pool: asyncpg.Pool,
    records: list[ConsumerRecord[bytes, bytes]],
    *,
    district: str,
    source: str,
    keys: Keys,
    credentials: Mapping[str, producers.Producer] | None = None,
) -> tuple[int, int]:
    """Admit a batch exactly once; returns (admitted records, dead-lettered records)."""
    partitions = sorted({(r.topic, r.partition) for r in records})
    admitted = dead = 0
    async with pool.acquire() as conn, conn.transaction():
        marks = await watermarks.load(conn, CONSUMER, partitions)
        markers: dict[tuple[str, int], str] = {}
        fresh = watermarks.unapplied(records, marks)
        for record in fresh:
            incarnation = topics.marker_incarnation(record)
            if incarnation is not None:
                markers[(record.topic, record.partition)] = incarnation
            if topics.is_control(record):
                continue
            try:
                async with conn.transaction():
                    await admit_record(
                        conn,
                        record,
                        district=district,
                        source=source,
                        keys=keys,
                        credentials=credentials,
                    )
                admitted += 1
            except Refused as exc:
                await outbox.add(conn, [dlq_message(record, CONSUMER, exc)])
                dead += 1
        await watermarks.store(conn, CONSUMER, watermarks.advance(marks, fresh), markers)
    return admitted, dead


async def start_ingest(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """Worker: consume the submissions topic until stopped."""
    settings = runtime.settings
    consumer = AIOKafkaConsumer(
        ASSESSMENT_SUBMISSIONS.name,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"{settings.service_name}.{CONSUMER}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=max(100, settings.consumer_session_timeout_ms // 5),
        **kafka_security.client_options(settings),
    )
    keys = Keys.of(runtime)
    # The service's own settings say which producers may write, and for which district.
    credentials = AssessmentSettings().producers()
    stats = runtime.extras.setdefault("ingest", {"admitted": 0, "dead_lettered": 0})

    async def run() -> None:
        while True:
            try:
                batches = await consumer.getmany(
                    timeout_ms=1000, max_records=settings.consumer_max_records
                )
                records = [r for rs in batches.values() for r in rs]
                if not records:
                    continue
                admitted, dead = await apply_batch(
                    runtime.pool,
                    records,
                    district=settings.district_id,
                    source=runtime.source,
                    keys=keys,
                    credentials=credentials,
                )
                stats["admitted"] += admitted
                stats["dead_lettered"] += dead
                await consumer.commit()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ingest batch failed; retrying from the last commit")
                await asyncio.sleep(1)
                for tp in consumer.assignment():
                    committed = await consumer.committed(tp)
                    if committed is None:
                        await consumer.seek_to_beginning(tp)
                    else:
                        consumer.seek(tp, committed)

    await consumer.start()
    task = asyncio.create_task(run(), name="assessment-ingest")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()

    return stop
