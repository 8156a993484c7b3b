"""Auth and validation answer before a handler touches the database."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

pytestmark = pytest.mark.unit

RESULT = {
    "student_id": "stu-1",
    "competency_id": "3.OA.A.1",
    "score": 3,
    "max_score": 4,
    "occurred_at": "2026-09-01T10:00:00Z",
    "source": "canvas",
    "source_id": "sub-17",
}


async def test_no_token_is_401(offline_client: httpx.AsyncClient) -> None:
    async with offline_client as client:
        r = await client.post("/v1/assessments", json=RESULT)
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert (await client.get("/v1/students/stu-1/assessments")).status_code == 401


async def test_guardians_may_not_record(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async with offline_client as client:
        r = await client.post("/v1/assessments", json=RESULT, headers=auth("guardian"))
        assert r.status_code == 403


async def test_invalid_result_is_422_naming_the_field(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async with offline_client as client:
        r = await client.post(
            "/v1/assessments", json={**RESULT, "score": 9}, headers=auth("teacher")
        )
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == ["score"]
        r = await client.post(
            "/v1/assessments",
            json={**RESULT, "occurred_at": "2026-09-01T10:00:00"},
            headers=auth("teacher"),
        )
        assert [e["field"] for e in r.json()["errors"]] == ["occurred_at"]


async def test_another_district_is_refused(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async with offline_client as client:
        r = await client.post(
            "/v1/assessments", json={**RESULT, "district_id": "d2"}, headers=auth("admin", "d1")
        )
        assert r.status_code == 403
        assert "district_id" in r.json()["detail"]


async def test_a_void_reason_must_be_a_code(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async with offline_client as client:
        r = await client.post(
            "/v1/assessments/2f1c6f2e-0d0a-4a51-9a3c-3f6d7f1e9b10/void",
            json={"reason": "the teacher said so"},
            headers=auth("teacher"),
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["reason"]


async def test_bodies_are_bounded_in_size_and_depth(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    """The xAPI resource and the batch endpoint take vendor JSON: a huge or deeply
    nested body is refused (413, 400) before the route or the parser sees it."""
    json_type = {**auth("admin"), "content-type": "application/json"}
    async with offline_client as client:
        huge = b'{"results": [' + b'"x",' * (2 * 1024 * 1024) + b'"x"]}'
        r = await client.post("/v1/assessments/batch", content=huge, headers=json_type)
        assert r.status_code == 413, r.text
        assert r.json()["errors"][0]["field"] == "body"
        deep = b"[" * 5000 + b"]" * 5000
        r = await client.post(
            "/xapi/statements",
            content=deep,
            headers={**json_type, "X-Experience-API-Version": "1.0.3"},
        )
        assert r.status_code == 400, r.text
        assert r.json()["type"] == "urn:pathwise:problem:body-too-deep"


async def test_comm_2_1_put_without_statement_id_is_400(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    headers = auth("service", "d1") | {"X-Experience-API-Version": "1.0.3"}
    body = {
        "actor": {"mbox": "mailto:a@x.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/scored"},
        "object": {"id": "https://x.example/a"},
    }
    async with offline_client as client:
        r = await client.put("/xapi/statements", json=body, headers=headers)
    assert r.status_code == 400 and r.json()["field"] == "statementId"
