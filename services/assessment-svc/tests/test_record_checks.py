"""Recording checks the caller in the statement that inserts; a denial leaves nothing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from pathwise_devstack.service_fixtures import rostered

pytestmark = pytest.mark.integration


def _result(student: str, source_id: str) -> dict[str, Any]:
    return {
        "student_id": student,
        "competency_id": "3.OA.A.1",
        "score": 1,
        "max_score": 2,
        "occurred_at": "2026-09-02T10:00:00Z",
        "source": "canvas",
        "source_id": source_id,
    }


async def test_a_denied_result_leaves_no_row_and_no_event(
    service: Any, auth: Callable[..., dict[str, str]]
) -> None:
    held, unknown = f"d2-{secrets.token_hex(4)}", f"new-{secrets.token_hex(4)}"
    await rostered(service, held, district="d2")
    client = service.client

    r = await client.post("/v1/assessments", json=_result(held, "a"), headers=auth("admin", "d1"))
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        "/v1/assessments", json=_result(held, "b"), headers=auth("teacher", "d2", sub="t-bob")
    )
    assert r.status_code == 404, r.text  # not her student
    async with service.runtime.pool.acquire() as conn:
        rows = await conn.fetchval("SELECT count(*) FROM ingested WHERE student_id = $1", held)
        queued = await conn.fetchval("SELECT count(*) FROM pathwise_outbox WHERE key = $1", held)
    assert (rows, queued) == (0, 0)

    # A student nobody holds yet: a service may record; re-sending is a duplicate.
    svc = auth("service", "d1")
    r = await client.post("/v1/assessments", json=_result(unknown, "c"), headers=svc)
    assert (r.status_code, r.json()["status"]) == (201, "recorded")
    r = await client.post("/v1/assessments", json=_result(unknown, "c"), headers=svc)
    assert (r.status_code, r.json()["status"]) == (200, "duplicate")
    r = await client.post("/v1/assessments", json=_result(held, "d"), headers=auth("admin", "d2"))
    assert (r.status_code, r.json()["status"]) == (201, "recorded")
