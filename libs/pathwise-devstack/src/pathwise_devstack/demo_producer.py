"""The embedded stack's one ingest producer: a demo LMS writing for district d1.

Its key is derived from the stack's development secret, so the stack and the
demo agree without a file; a real deployment issues each producer its own
random key (``INGEST_PRODUCERS``).
"""

from __future__ import annotations

import base64
import hashlib
import json

from pathwise_contracts.signing import signed_headers

PRODUCER = "demo-lms"
DISTRICT = "d1"


def key(dev_secret: str) -> bytes:
    return hashlib.sha256(b"pathwise-demo-producer|" + dev_secret.encode()).digest()


def credentials(dev_secret: str) -> str:
    """``INGEST_PRODUCERS`` for assessment-svc on the embedded stack."""
    encoded = base64.urlsafe_b64encode(key(dev_secret)).rstrip(b"=").decode()
    return json.dumps({PRODUCER: {"district": DISTRICT, "key": encoded}})


def headers(
    dev_secret: str, content_type: str, record_key: bytes, value: bytes
) -> list[tuple[str, bytes]]:
    return signed_headers(PRODUCER, key(dev_secret), content_type, record_key, value)
