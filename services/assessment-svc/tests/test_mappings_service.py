"""Competency mappings end to end in-process: a change is on the log, a retry with its
Idempotency-Key changes nothing again, a held result is released by the mapping that
arrives later as if it had come mapped, mappings stored before the log are queued once,
and replay agrees."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from standards_support import (
    Auth,
    Published,
    WaitUntil,
    enroll,
    recorded_once,
    replays_identically,
)

from assessment_svc.adapters.keyring import keyring
from assessment_svc.commands.mappings import backfill
from assessment_svc.domain.evidence import submitted_event_id
from assessment_svc.domain.mapping import EPOCH
from pathwise_contracts import CompetencyMappingsChanged
from pathwise_devstack.stack import Infrastructure

pytestmark = pytest.mark.integration


def _result(student: str, n: int, line_item: str) -> dict[str, Any]:
    return {
        "result": {
            "sourcedId": f"res-{student}-{n}",
            "lineItem": {"sourcedId": line_item},
            "student": {"sourcedId": f"sis-{student}"},
            "scoreStatus": "fully graded",
            "score": 7,
            "scoreDate": "2026-09-01",
        }
    }


async def _post(service: Any, admin: dict[str, str], student: str, n: int, item: str) -> Any:
    r = await service.client.put(
        f"/ims/oneroster/gradebook/v1p2/results/res-{student}-{n}",
        json=_result(student, n, item),
        headers=admin,
    )
    assert r.status_code == 200, r.text
    [receipt] = r.json()["results"]
    return receipt


async def _change_of(service: Any, ref: str) -> uuid.UUID:
    """The event that last set a mapping."""
    async with service.runtime.pool.acquire() as conn:
        change: uuid.UUID = await conn.fetchval(
            "SELECT change_id FROM competency_map WHERE district_id = 'd1' AND ref = $1", ref
        )
    return change


async def _logged(published: Published, wait_until: WaitUntil, change: uuid.UUID) -> Any:
    async def there() -> bool:
        return bool(await published(change))

    await wait_until(there, 60)
    [envelope] = await published(change)
    assert envelope.subject == "district:d1"
    event = envelope.event()
    assert isinstance(event, CompetencyMappingsChanged)
    return event


async def test_mappings_on_the_log_release_held_results_and_replay(
    service: Any,
    auth: Auth,
    published: Published,
    wait_until: WaitUntil,
    kafka_bootstrap: str,
    infrastructure: Infrastructure,
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    late, early = f"li-late-{student}", f"li-early-{student}"
    await enroll(
        kafka_bootstrap, student, {"oneroster": f"sis-{student}"}, keyring(service.runtime)
    )

    # Result first: nothing maps its line item, so it is held and reported.
    held = await _post(service, admin, student, 1, late)
    assert held["competency_id"] is None

    async def reported() -> bool:
        r = await client.get("/v1/unmapped-results", headers=admin)
        return any(a["activity"] == f"oneroster_line_item:{late}" for a in r.json())

    await wait_until(reported, 60)

    # ... mapping later, with an Idempotency-Key: a retry answers the same, changes nothing.
    body = {
        "mappings": [
            {
                "kind": "oneroster_line_item",
                "ref": late,
                "competency_id": "3.OA.A.3",
                "max_score": 10,
            }
        ]
    }
    keyed = admin | {"Idempotency-Key": f"map-{student}"}
    r = await client.put("/v1/competency-mappings", json=body, headers=keyed)
    assert r.status_code == 200 and r.json() == {"stored": 1}, r.text
    change = await _change_of(service, late)
    r = await client.put("/v1/competency-mappings", json=body, headers=keyed)
    assert r.status_code == 200 and r.json() == {"stored": 1}, r.text
    assert await _change_of(service, late) == change
    other = {"mappings": [{**body["mappings"][0], "competency_id": "3.OA.A.4"}]}
    r = await client.put("/v1/competency-mappings", json=other, headers=keyed)
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key", r.text
    logged = await _logged(published, wait_until, change)
    assert [(m.ref, m.competency_id, m.max_score) for m in logged.mappings] == [
        (late, "3.OA.A.3", 10)
    ]

    released = await recorded_once(published, wait_until, uuid.UUID(held["assessment_id"]))
    [submitted] = await published(submitted_event_id(released.assessment_id))
    [recorded] = await published(released.assessment_id)
    assert recorded.time == submitted.time  # recorded as of its submission, as always

    # Mapping first (by CSV): admitted mapped, and recorded just like the released one.
    csv = f"kind,ref,competency_id,max_score\noneroster_line_item,{early},3.OA.A.3,10\n"
    r = await client.post("/v1/competency-mappings.csv", content=csv, headers=admin)
    assert r.status_code == 200 and r.json() == {"stored": 1}, r.text
    await _logged(published, wait_until, await _change_of(service, early))
    direct = await _post(service, admin, student, 2, early)
    assert direct["competency_id"] == "3.OA.A.3"
    mapped = await recorded_once(published, wait_until, uuid.UUID(direct["assessment_id"]))
    fields = ("student_id", "competency_id", "score", "max_score", "occurred_at", "source")
    assert [getattr(released, f) for f in fields] == [getattr(mapped, f) for f in fields]

    async def released_from_report() -> bool:
        r = await client.get("/v1/unmapped-results", headers=admin)
        return all(a["activity"] != f"oneroster_line_item:{late}" for a in r.json())

    await wait_until(released_from_report, 60)

    # A mapping stored before mappings were logged is queued once, older than any change.
    legacy = f"li-legacy-{student}"
    async with service.runtime.pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO competency_map (district_id, kind, ref, competency_id)
               VALUES ('d1', 'oneroster_line_item', $1, '3.OA.A.1')""",
            legacy,
        )
    assert await backfill(service.runtime.pool, source=service.runtime.source) == 1
    assert await backfill(service.runtime.pool, source=service.runtime.source) == 0
    event = await _logged(published, wait_until, await _change_of(service, legacy))
    assert event.changed_at == EPOCH and [m.ref for m in event.mappings] == [legacy]

    await replays_identically(service, infrastructure)
