"""Auth and validation answer before a handler touches the database."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.unit

STUDENT = {"student_id": "stu-1", "guardians": [{"guardian_id": "g-1", "relationship": "mother"}]}


async def test_no_token_is_401(offline_client: httpx.AsyncClient) -> None:
    async with offline_client as client:
        r = await client.post("/v1/students", json=STUDENT)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert (await client.get("/v1/students/stu-1")).status_code == 401


async def test_guardians_and_students_may_not_enroll(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async with offline_client as client:
        for role in ("guardian", "student"):
            r = await client.post("/v1/students", json=STUDENT, headers=auth(role))
            assert r.status_code == 403


async def test_invalid_enrollment_is_422_naming_the_field(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    bad = {**STUDENT, "guardians": [{"guardian_id": "g-1", "relationship": "x", "phone": "12"}]}
    async with offline_client as client:
        r = await client.post("/v1/students", json=bad, headers=auth("admin"))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["guardians.0.phone"]


async def test_another_district_is_refused(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async with offline_client as client:
        r = await client.post(
            "/v1/students", json={**STUDENT, "district_id": "d2"}, headers=auth("admin", "d1")
        )
        assert r.status_code == 403
        assert "district_id" in r.json()["detail"]
