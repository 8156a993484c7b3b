"""The ingest topic trusts a producer's signature, never a district header it chooses."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import ConsumerRecord

from assessment_svc.adapters.keyring import Keys
from assessment_svc.domain import producers
from assessment_svc.workers.submissions import NATIVE, apply_batch
from pathwise_contracts import ASSESSMENT_SUBMISSIONS
from pathwise_contracts.signing import signed_headers

KEY_D1, KEY_D2 = b"1" * 32, b"2" * 32
CREDENTIALS = {
    "lms-d1": producers.Producer("lms-d1", "d1", KEY_D1),
    "lms-d2": producers.Producer("lms-d2", "d2", KEY_D2),
}


def _record(
    value: bytes, headers: list[tuple[str, bytes]], offset: int
) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=ASSESSMENT_SUBMISSIONS.name,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"stu-1",
        value=value,
        checksum=None,
        serialized_key_size=5,
        serialized_value_size=len(value),
        headers=tuple(headers),
    )


def _result(source_id: str) -> bytes:
    return json.dumps(
        {
            "student_id": f"stu-{source_id}",
            "competency_id": "3.OA.A.1",
            "score": 1,
            "max_score": 1,
            "occurred_at": "2026-09-02T10:00:00Z",
            "source": "lms",
            "source_id": source_id,
        }
    ).encode()


@pytest.mark.unit
@pytest.mark.isolation
def test_a_signature_names_the_producer_and_holds_only_for_its_record() -> None:
    value = _result("a")
    headers = dict(signed_headers("lms-d1", KEY_D1, NATIVE, b"stu-1", value))
    signed = headers["pathwise-signature"].decode()

    def check(**changes: Any) -> producers.Producer:
        args: dict[str, Any] = {
            "producer_id": "lms-d1",
            "signed": signed,
            "content_type": NATIVE,
            "record_key": b"stu-1",
            "value": value,
        } | changes
        return producers.authenticate(CREDENTIALS, **args)

    assert check().district == "d1"
    for changes in (
        {"value": _result("b")},
        {"record_key": b"stu-2"},
        {"content_type": "application/vnd.xapi.statement+json"},
        {"producer_id": "lms-d2"},  # d2's name on d1's signature
        {"producer_id": "nobody"},
        {"signed": None},
    ):
        with pytest.raises(producers.Unauthenticated, match="unauthenticated producer"):
            check(**changes)


@pytest.mark.unit
def test_credentials_are_parsed_and_short_keys_refused() -> None:
    good = base64.urlsafe_b64encode(b"k" * 32).decode()
    parsed = producers.parse(json.dumps({"lms": {"district": "d7", "key": good}}))
    assert parsed["lms"].district == "d7" and parsed["lms"].key == b"k" * 32
    short = base64.urlsafe_b64encode(b"k" * 8).decode()
    with pytest.raises(ValueError, match="at least 32 bytes"):
        producers.parse(json.dumps({"lms": {"district": "d7", "key": short}}))
    with pytest.raises(ValueError, match="needs 'district' and 'key'"):
        producers.parse(json.dumps({"lms": {"key": good}}))


@pytest.mark.integration
@pytest.mark.isolation
async def test_the_tenant_comes_from_the_producer_and_forgeries_go_to_the_dlq(
    service: Any, wait_until: Callable[..., Any]
) -> None:
    tag = secrets.token_hex(4)
    signed_d2 = _result(f"{tag}-d2")
    forged = _result(f"{tag}-forged")
    unsigned = _result(f"{tag}-unsigned")
    claims_d1 = _result(f"{tag}-claims-d1")
    records = [
        _record(signed_d2, signed_headers("lms-d2", KEY_D2, NATIVE, b"stu-1", signed_d2), 0),
        # Signed with d1's producer id but another key: a forgery.
        _record(forged, signed_headers("lms-d1", KEY_D2, NATIVE, b"stu-1", forged), 1),
        _record(unsigned, [("content-type", NATIVE.encode()), ("pathwise-district", b"d1")], 2),
        _record(
            claims_d1,
            [
                *signed_headers("lms-d2", KEY_D2, NATIVE, b"stu-1", claims_d1),
                ("pathwise-district", b"d1"),
            ],
            3,
        ),
    ]
    admitted, dead = await apply_batch(
        service.runtime.pool,
        records,
        district="d1",
        source=service.runtime.source,
        keys=Keys.from_master(b"k" * 32),
        credentials=CREDENTIALS,
    )
    assert (admitted, dead) == (1, 3)
    async with service.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT student_id, district_id FROM ingested WHERE student_id LIKE $1", f"stu-{tag}%"
        )
    assert [(r["student_id"], r["district_id"]) for r in rows] == [(f"stu-{tag}-d2", "d2")]
