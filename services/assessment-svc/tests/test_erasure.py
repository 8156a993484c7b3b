"""SubjectErased in assessment-svc: results, statements and identities go, and stay gone."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from standards_support import (
    XAPI_HEADERS,
    Auth,
    Published,
    WaitUntil,
    recorded_once,
    replays_identically,
    scored,
    tell_profile,
    xapi_learner,
)

from assessment_svc.adapters.keyring import keystore
from pathwise_contracts import StatementStored, SubjectErased, derive_event_id
from pathwise_contracts.ids import assessment_id as derive_assessment_id
from pathwise_devstack.stack import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.isolation]


def _result(student: str, source_id: str, competency: str = "3.OA.A.1") -> dict[str, Any]:
    return {
        "student_id": student,
        "competency_id": competency,
        "score": 1,
        "max_score": 2,
        "occurred_at": "2026-09-02T10:00:00Z",
        "source": "canvas",
        "source_id": source_id,
    }


def _erased(student: str) -> SubjectErased:
    return SubjectErased(
        student_id=student,
        version=2,
        subject_id=student,
        kind="student",
        erased_at=datetime.now(UTC),
    )


async def _open(service: Any, stored: StatementStored) -> str | None:
    """The statement as the LRS's keystore opens it (None: its key is gone)."""
    store = keystore(service.runtime)
    async with service.runtime.pool.acquire() as conn:
        found = await store.keys_by_kid(conn, "d1", [stored.statement.kid])
        left = await conn.fetchval(
            "SELECT count(*) FROM erasable_keys WHERE subject_id = $1", stored.agent
        )
    assert left == (0 if found.open(stored.statement) is None else 1)
    return found.open(stored.statement)


async def _rows_about(service: Any, student: str, mbox_statement: str) -> dict[str, int]:
    async with service.runtime.pool.acquire() as conn:
        counts = {
            table: await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE student_id = $1", student
            )
            for table in ("assessments", "ingested", "resolved", "identities")
        }
        counts["statements"] = await conn.fetchval(
            "SELECT count(*) FROM statements WHERE statement_id = $1", uuid.UUID(mbox_statement)
        )
        counts["statement text"] = await conn.fetchval(
            "SELECT count(*) FROM statements WHERE statement::text LIKE '%' || $1 || '%'", student
        )
    return counts


async def test_an_erased_students_results_and_statements_are_gone_live_and_on_replay(
    service: Any,
    auth: Auth,
    published: Published,
    wait_until: WaitUntil,
    kafka_bootstrap: str,
    infrastructure: Infrastructure,
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    mbox, activity = await xapi_learner(service, admin, kafka_bootstrap, student)

    sid = str(uuid.uuid4())
    r = await client.put(
        f"/xapi/statements?statementId={sid}",
        json=scored(sid, mbox, 3, activity),
        headers=admin | XAPI_HEADERS,
    )
    assert r.status_code == 204, r.text
    await recorded_once(published, wait_until, derive_assessment_id("d1", "xapi", sid))
    result = _result(student, f"{student}/1", "3.OA.A.2")
    assert (await client.post("/v1/assessments", json=result, headers=admin)).status_code == 201
    listing = f"/v1/students/{student}/assessments"

    async def both_listed() -> bool:
        r = await client.get(listing, headers=admin)
        return r.is_success and len(r.json()["assessments"]) == 2

    await wait_until(both_listed)
    before = await _rows_about(service, student, sid)
    assert before["assessments"] == 2 and before["identities"] > 0 and before["statements"] == 1
    [stored] = await published(derive_event_id("xapi", "d1", sid, "stored"))
    sealed = stored.event()
    assert isinstance(sealed, StatementStored)
    assert mbox not in stored.to_bytes().decode()
    assert await _open(service, sealed) is not None  # the agent's key opens it, for now

    erased = SubjectErased(
        student_id=student,
        version=2,
        subject_id=student,
        kind="student",
        erased_at=datetime.now(UTC),
    )
    await tell_profile(kafka_bootstrap, erased)

    async def gone() -> bool:
        return (await client.get(listing, headers=admin)).status_code == 404

    await wait_until(gone)
    after = await _rows_about(service, student, sid)
    assert after == dict.fromkeys(after, 0), after
    r = await client.get(f"/xapi/statements?statementId={sid}", headers=admin | XAPI_HEADERS)
    assert r.status_code == 404
    # New evidence about them is refused at the door, and the rebuilt tables agree.
    again = {**result, "source_id": f"{student}/2"}
    assert (await client.post("/v1/assessments", json=again, headers=admin)).status_code == 404
    # Their statement on the log is noise now: its key went with the erasure.
    assert await _open(service, sealed) is None
    # A statement about them after the erasure is taken but not kept, and no key is made.
    late = str(uuid.uuid4())
    r = await client.put(
        f"/xapi/statements?statementId={late}",
        json=scored(late, mbox, 2, activity),
        headers=admin | XAPI_HEADERS,
    )
    assert r.status_code == 204, r.text
    r = await client.get(f"/xapi/statements?statementId={late}", headers=admin | XAPI_HEADERS)
    assert r.status_code == 404
    assert await _open(service, sealed) is None
    await replays_identically(service, infrastructure)


async def test_erasing_a_student_leaves_another_districts_namesake(
    service: Any, auth: Auth, wait_until: WaitUntil, kafka_bootstrap: str
) -> None:
    """The same id in d2 (profile-svc would refuse it, but the log must not trust that)."""
    client = service.client
    student = f"stu-{secrets.token_hex(4)}"
    result = _result(student, f"{student}/d2")
    d2 = auth("admin", "d2")
    assert (await client.post("/v1/assessments", json=result, headers=d2)).status_code == 201
    listing = f"/v1/students/{student}/assessments"

    async def listed() -> bool:
        r = await client.get(listing, headers=d2)
        return r.is_success and len(r.json()["assessments"]) == 1

    await wait_until(listed)
    erased = SubjectErased(
        student_id=student,
        version=2,
        subject_id=student,
        kind="student",
        erased_at=datetime.now(UTC),
    )
    await tell_profile(kafka_bootstrap, erased, district="d1")

    async def tombstoned() -> bool:
        async with service.runtime.pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    "SELECT 1 FROM erased_students WHERE district_id = 'd1' AND student_id = $1",
                    student,
                )
            )

    await wait_until(tombstoned)
    r = await client.get(listing, headers=d2)
    assert r.is_success and len(r.json()["assessments"]) == 1
