"""A result's id carries its district: two districts using the same (source, source_id)
record two results, and a result recorded before ids carried the district keeps its id."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from assessment_svc.main import SPEC
from pathwise_contracts import derive_event_id
from pathwise_contracts.ids import assessment_id as derive_assessment_id
from pathwise_devstack.service_fixtures import rostered, shared_service

pytestmark = [pytest.mark.integration, pytest.mark.isolation]
service = shared_service(SPEC)  # each test enrolls subjects of its own

Auth = Callable[..., dict[str, str]]


def _result(student: str, source_id: str, score: float = 3) -> dict[str, Any]:
    return {
        "student_id": student,
        "competency_id": "3.OA.A.1",
        "score": score,
        "max_score": 4,
        "occurred_at": "2026-09-01T10:00:00+00:00",
        "source": "canvas",
        "source_id": source_id,
    }


async def test_two_districts_same_source_id_are_two_results(service: Any, auth: Auth) -> None:
    client = service.client
    mine, theirs = f"stu-{secrets.token_hex(4)}", f"stu-{secrets.token_hex(4)}"
    await rostered(service, mine, district="d1")
    await rostered(service, theirs, district="d2")
    source_id = f"gradebook/{secrets.token_hex(4)}"
    first = await client.post(
        "/v1/assessments", json=_result(mine, source_id), headers=auth("admin", "d1")
    )
    second = await client.post(
        "/v1/assessments", json=_result(theirs, source_id, 1), headers=auth("admin", "d2")
    )
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert first.json()["assessment_id"] == str(derive_assessment_id("d1", "canvas", source_id))
    assert second.json()["assessment_id"] == str(derive_assessment_id("d2", "canvas", source_id))
    again = await client.post(
        "/v1/assessments", json=_result(theirs, source_id, 1), headers=auth("admin", "d2")
    )
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")


async def test_a_standards_result_another_district_used_is_still_recorded(
    service: Any, auth: Auth
) -> None:
    sourced_id = f"res-{secrets.token_hex(4)}"
    ids = []
    for district in ("d1", "d2"):
        body = {
            "result": {
                "sourcedId": sourced_id,
                "lineItem": {"sourcedId": "li-1"},
                "student": {"sourcedId": f"sis-{district}-{sourced_id}"},
                "scoreStatus": "fully graded",
                "score": 9,
                "scoreDate": "2026-09-01",
            }
        }
        r = await service.client.put(
            f"/ims/oneroster/gradebook/v1p2/results/{sourced_id}",
            json=body,
            headers=auth("admin", district),
        )
        assert r.status_code == 200, r.text
        [receipt] = r.json()["results"]
        assert receipt["status"] == "recorded"
        ids.append(receipt["assessment_id"])
    assert ids == [str(derive_assessment_id(d, "oneroster", sourced_id)) for d in ("d1", "d2")]


async def test_a_result_recorded_under_its_old_id_keeps_it(service: Any, auth: Auth) -> None:
    student = f"stu-{secrets.token_hex(4)}"
    await rostered(service, student, district="d1")
    source_id = f"legacy/{secrets.token_hex(4)}"
    body = _result(student, source_id)
    first = await service.client.post("/v1/assessments", json=body, headers=auth("admin", "d1"))
    recorded = first.json()["assessment_id"]
    old = derive_event_id("canvas", source_id)
    # As a database from before ids carried the district holds it.
    await service.runtime.pool.execute(
        "UPDATE ingested SET assessment_id = $1 WHERE assessment_id = $2::uuid", old, recorded
    )
    again = await service.client.post("/v1/assessments", json=body, headers=auth("admin", "d1"))
    changed = await service.client.post(
        "/v1/assessments", json=_result(student, source_id, 1), headers=auth("admin", "d1")
    )
    assert again.json() == {"assessment_id": str(old), "status": "duplicate"}
    assert changed.status_code == 409 and changed.json()["assessment_id"] == str(old)
