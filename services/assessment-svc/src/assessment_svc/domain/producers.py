"""Who wrote a record on the ingest topic, and so for which district it speaks.

Any client that can reach the brokers could write to ``assessment.submissions.v1``;
a header naming a district proves nothing. Each producer (a district's LMS, a
vendor's export job) therefore holds its own key, and signs every record with
it (``pathwise_contracts.signing``): the district is the one its credential
is issued for, never what the record says. The signature covers the content
type, the record key and the value, so it cannot be moved to another record
or another format.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from pathwise_contracts.signing import PRODUCER_HEADER, SIGNATURE_HEADER, signature

_MIN_KEY_BYTES = 32


class Unauthenticated(ValueError):
    """The record's producer is unknown or its signature does not hold."""


@dataclass(frozen=True, slots=True)
class Producer:
    producer_id: str
    district: str
    key: bytes


def authenticate(
    producers: Mapping[str, Producer],
    *,
    producer_id: str | None,
    signed: str | None,
    content_type: str,
    record_key: bytes,
    value: bytes,
) -> Producer:
    """The producer that signed the record; ``Unauthenticated`` with the reason otherwise."""
    if not producer_id or not signed:
        needed = f"{PRODUCER_HEADER} and {SIGNATURE_HEADER}"
        raise Unauthenticated(f"unauthenticated producer: headers {needed} are required")
    producer = producers.get(producer_id)
    if producer is None:
        raise Unauthenticated(f"unauthenticated producer: {producer_id!r} has no credential")
    expected = signature(producer.key, content_type, record_key, value)
    if not hmac.compare_digest(expected, signed):
        raise Unauthenticated(f"unauthenticated producer: bad signature for {producer_id!r}")
    return producer


def parse(text: str) -> dict[str, Producer]:
    """Credentials from ``{"<producer>": {"district": "...", "key": "<base64url>"}, ...}``."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"INGEST_PRODUCERS: not JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ValueError("INGEST_PRODUCERS: expected an object of producers")
    producers = {}
    for producer_id, entry in raw.items():
        if not isinstance(entry, dict) or not entry.get("district") or not entry.get("key"):
            raise ValueError(f"INGEST_PRODUCERS.{producer_id}: needs 'district' and 'key'")
        key = base64.urlsafe_b64decode(str(entry["key"]) + "=" * (-len(str(entry["key"])) % 4))
        if len(key) < _MIN_KEY_BYTES:
            raise ValueError(f"INGEST_PRODUCERS.{producer_id}.key: at least 32 bytes")
        producers[producer_id] = Producer(producer_id, str(entry["district"]), key)
    return producers
