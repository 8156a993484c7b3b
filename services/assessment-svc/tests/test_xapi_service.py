"""The xAPI statement resource end to end in-process: statements are stored once,
recorded as one AssessmentRecorded, idempotent by id, voidable, and replay agrees."""

from __future__ import annotations

import json
import secrets
import uuid
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
    xapi_learner,
)

from pathwise_contracts import (
    AssessmentVoided,
    derive_event_id,
)
from pathwise_contracts.ids import assessment_id as derive_assessment_id
from pathwise_devstack.stack import Infrastructure

EDFI_NS = "uri://ed-fi.org/"

pytestmark = pytest.mark.integration


async def test_xapi_statements_are_stored_recorded_idempotent_and_voidable(
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

    headers = admin | XAPI_HEADERS
    sid = str(uuid.uuid4())
    body = scored(sid, mbox, 3, activity)
    r = await client.put(f"/xapi/statements?statementId={sid}", json=body, headers=headers)
    assert r.status_code == 204, r.text
    assert r.headers["X-Experience-API-Version"] == "1.0.3"
    # The LRS reads its own writes: retrievable right after the 204, projection or not.
    r = await client.get(f"/xapi/statements?statementId={sid}", headers=headers)
    assert r.status_code == 200 and r.json()["id"] == sid, r.text
    # With an id, only attachments and format may come along; HEAD answers as GET does.
    r = await client.get(
        f"/xapi/statements?statementId={sid}&format=ids&ascending=true", headers=headers
    )
    assert r.status_code == 400 and r.json()["field"] == "ascending", r.text
    r = await client.head(f"/xapi/statements?statementId={sid}", headers=headers)
    assert r.status_code == 200 and r.content == b""
    assert "X-Experience-API-Consistent-Through" in r.headers
    assert (await client.head("/xapi/about")).status_code == 200
    event = await recorded_once(published, wait_until, derive_assessment_id("d1", "xapi", sid))
    assert (event.student_id, event.competency_id, event.score, event.max_score) == (
        student,
        "3.OA.A.1",
        3,
        4,
    )

    # The same statement again: accepted, no second event. Other content: 409.
    assert (
        await client.put(f"/xapi/statements?statementId={sid}", json=body, headers=headers)
    ).status_code == 204
    assert (await client.post("/xapi/statements", json=body, headers=headers)).json() == [sid]
    changed = scored(sid, mbox, 1, activity)
    r = await client.put(f"/xapi/statements?statementId={sid}", json=changed, headers=headers)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    # Missing version header, bad statement: 400 naming the field.
    assert (await client.get("/xapi/statements", headers=admin)).status_code == 400
    r = await client.post(
        "/xapi/statements", json={**body, "verb": {"id": "scored"}}, headers=headers
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "verb.id"

    async def stored() -> bool:
        r = await client.get(f"/xapi/statements?statementId={sid}", headers=headers)
        return bool(r.status_code == 200)

    await wait_until(stored)
    r = await client.get(f"/xapi/statements?statementId={sid}", headers=headers)
    assert r.json()["actor"]["mbox"] == mbox and r.json()["version"] == "1.0.3"
    assert "X-Experience-API-Consistent-Through" in r.headers
    agent = json.dumps({"mbox": mbox})
    r = await client.get(
        "/xapi/statements", params={"agent": agent, "format": "ids"}, headers=headers
    )
    [listed] = r.json()["statements"]
    assert listed["actor"] == {"mbox": mbox} and r.json()["more"] == ""

    # Voiding: the statement leaves the list, the assessment is voided downstream.
    void_id = str(uuid.uuid4())
    voiding = {
        "id": void_id,
        "actor": {"account": {"homePage": "https://lms.example", "name": "teacher-1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": sid},
    }
    assert (await client.post("/xapi/statements", json=voiding, headers=headers)).status_code == 200
    assessment_id = derive_assessment_id("d1", "xapi", sid)
    # ... and voiding holds at once: the voided one only through voidedStatementId.
    r = await client.get(f"/xapi/statements?voidedStatementId={sid}", headers=headers)
    assert r.status_code == 200 and r.json()["id"] == sid, r.text
    r = await client.get(f"/xapi/statements?statementId={void_id}", headers=headers)
    assert r.status_code == 200, r.text
    r = await client.get(f"/xapi/statements?statementId={sid}", headers=headers)
    assert r.status_code == 404, r.text

    async def voided() -> bool:
        return bool(await published(derive_event_id(assessment_id, "void")))

    await wait_until(voided, 30)
    [void] = await published(derive_event_id(assessment_id, "void"))
    assert isinstance(void.event(), AssessmentVoided)

    async def gone() -> bool:
        r = await client.get(f"/xapi/statements?voidedStatementId={sid}", headers=headers)
        return bool(r.status_code == 200)

    await wait_until(gone)
    assert (
        await client.get(f"/xapi/statements?statementId={sid}", headers=headers)
    ).status_code == 404
    r = await client.get("/xapi/statements", params={"agent": agent}, headers=headers)
    assert r.json()["statements"] == []
    await replays_identically(service, infrastructure)
