"""Guardians with educational rights set goals and interests; others are refused."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

pytestmark = pytest.mark.integration

Auth = Callable[..., dict[str, str]]


def enrollment(student: str) -> dict[str, Any]:
    return {
        "student_id": student,
        "school_id": "sch-1",
        "grade": "5",
        "section_ids": [f"{student}-math"],
        "display_name": "Grace Hopper",
        "external_ids": {"sis": f"sis-{student}", "oneroster": f"or-{student}"},
        "guardians": [
            {
                "guardian_id": f"{student}-mum",
                "relationship": "mother",
                "email": "grace.mum@example.org",
                "consent": {"email": True},
            },
            {
                "guardian_id": f"{student}-step",
                "relationship": "stepfather",
                "educational_rights": False,
                "phone": "+15557654321",
            },
        ],
    }


async def test_a_guardian_with_rights_edits_goals_and_interests_only(
    service: Any, auth: Auth
) -> None:
    client, admin = service.client, auth("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    base = f"/v1/students/{student}"
    assert (await client.post("/v1/students", json=enrollment(student), headers=admin)).is_success
    mum = auth("guardian", "d1", sub=f"{student}-mum")
    step = auth("guardian", "d1", sub=f"{student}-step")  # linked, no educational rights
    goal = {"competency_ids": ["3.oa.a.1"], "agreed_by": ["guardian"]}

    r = await client.put(f"{base}/interests", json={"interests": ["space"]}, headers=mum)
    assert r.status_code == 200, r.text
    r = await client.put(
        f"{base}/goals/g1", json=goal, headers={**mum, "If-Match": r.headers["etag"]}
    )
    assert r.status_code == 200, r.text
    assert (await client.put(f"{base}/goals/g2", json=goal, headers=step)).status_code == 404
    # A guardian cannot record a goal as agreed by the teacher alone.
    r = await client.put(f"{base}/goals/g3", json={**goal, "agreed_by": ["teacher"]}, headers=mum)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["agreed_by"]
    r = await client.put(f"{base}/accommodations", json={"requirements": []}, headers=mum)
    assert r.status_code == 403


async def test_district_aggregates_count_without_naming_anyone(
    service: Any, auth: Auth, wait_until: Callable[..., Awaitable[None]]
) -> None:
    client, admin = service.client, auth("admin", "d9")
    student = f"stu-{secrets.token_hex(4)}"
    base = f"/v1/students/{student}"
    assert (await client.post("/v1/students", json=enrollment(student), headers=admin)).is_success
    r = await client.put(
        f"{base}/accommodations", json={"requirements": ["extended_time"]}, headers=admin
    )
    assert r.status_code == 200, r.text

    async def counted() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (
            await client.get("/v1/district/accommodations", headers=admin)
        ).json()
        return found

    async def projected() -> bool:
        return bool(await counted())

    await wait_until(projected)
    assert await counted() == [{"code": "extended_time", "students": 1}]
    groups = (await client.get("/v1/district/mastery", headers=admin)).json()
    assert [(g["students"], g["with_evidence"]) for g in groups] == [(1, 0)]
    assert student not in str(groups)
    assert (
        await client.get("/v1/district/mastery", headers=auth("teacher", "d9"))
    ).status_code == 403
