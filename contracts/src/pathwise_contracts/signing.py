"""How a producer signs a record on ``assessment.submissions.v1``: part of the contract.

The record carries ``pathwise-producer`` (the producer's id) and
``pathwise-signature`` (``v1=`` and the hex HMAC-SHA256, under the producer's
key, of the content type, the record key and the value, each on its own line
after a fixed label). assessment-svc admits a record for the district the
producer's credential is issued for.
"""

from __future__ import annotations

import hashlib
import hmac

PRODUCER_HEADER = "pathwise-producer"
SIGNATURE_HEADER = "pathwise-signature"


def signature(key: bytes, content_type: str, record_key: bytes, value: bytes) -> str:
    message = b"\n".join((b"pathwise-ingest-v1", content_type.encode(), record_key, value))
    return "v1=" + hmac.new(key, message, hashlib.sha256).hexdigest()


def signed_headers(
    producer: str, key: bytes, content_type: str, record_key: bytes, value: bytes
) -> list[tuple[str, bytes]]:
    """The headers of a signed record (content type included)."""
    return [
        ("content-type", content_type.encode()),
        (PRODUCER_HEADER, producer.encode()),
        (SIGNATURE_HEADER, signature(key, content_type, record_key, value).encode()),
    ]
