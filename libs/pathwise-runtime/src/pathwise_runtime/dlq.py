"""Dead-letter queue: a poison record is parked with its reason, the stream goes on.

The DLQ record keeps the original bytes and key, and says in headers where it
came from and why it was refused, so an operator can fix and re-drive it.
"""

from __future__ import annotations

import hashlib
import uuid

from aiokafka import ConsumerRecord

from pathwise_runtime.outbox import OutboxMessage

_DLQ_NAMESPACE = uuid.UUID("8a3c2f0e-5d7b-4f59-9a63-1f6e0c4d2b71")


def dlq_message(
    record: ConsumerRecord[bytes, bytes], projection: str, error: BaseException
) -> OutboxMessage:
    """The outbox row that parks ``record`` on ``<topic>.dlq``.

    Its id derives from (topic, partition, offset, projection), so a redelivered
    poison record is parked once, not once per delivery.
    """
    origin = f"{record.topic}|{record.partition}|{record.offset}|{projection}"
    reason = f"{type(error).__name__}: {error}"[:2000]
    headers = [
        ("dlq.reason", reason),
        ("dlq.error.type", type(error).__name__),
        ("dlq.original.topic", record.topic),
        ("dlq.original.partition", str(record.partition)),
        ("dlq.original.offset", str(record.offset)),
        ("dlq.consumer", projection),
        ("dlq.payload.sha256", hashlib.sha256(record.value or b"").hexdigest()),
    ]
    key = (record.key or b"").decode("utf-8", "replace")
    return OutboxMessage(
        str(uuid.uuid5(_DLQ_NAMESPACE, origin)),
        f"{record.topic}.dlq",
        key,
        record.value or b"",
        headers,
    )


def reason_of(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> dict[str, str]:
    """DLQ headers as a dict, for tools and tests."""
    return {k: v.decode() for k, v in headers if k.startswith("dlq.")}


__all__ = ["dlq_message", "reason_of"]
