"""assessment-svc over HTTP: every read and write of a student's results, by every caller.

One service for the module; Ada is rostered in district d1 (taught by
``t-ada``, guardian ``g-ada``) and has one recorded result.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from assessment_svc.main import SPEC
from pathwise_devstack import inprocess
from pathwise_devstack.service_fixtures import SECRET, bearer, callers_of, rostered
from pathwise_devstack.stack import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.isolation]

ADA = f"ada-{secrets.token_hex(4)}"
CALLERS = callers_of(ADA)
OWN = ("admin", "her teacher", "a service")
# Whom Ada does not exist for: 404, like a student nobody knows.
ELSEWHERE = {"admin of d2": 404, "her teacher's namesake in d2": 404, "a service of d2": 404}
ELSEWHERE |= {"another section's teacher": 404}
# The status each caller gets; a caller not named gets 403 (a role that may not).
ENDPOINTS: dict[str, dict[str, int]] = {
    "record": {**dict.fromkeys(OWN, 201), **ELSEWHERE},
    "batch": {**dict.fromkeys(OWN, 200), **ELSEWHERE},
    "list": {**dict.fromkeys(OWN, 200), **ELSEWHERE},
    "one": {**dict.fromkeys(OWN, 200), **ELSEWHERE},
    "void": {**dict.fromkeys(OWN, 200), **ELSEWHERE},
}


def _result(source_id: str) -> dict[str, Any]:
    return {
        "student_id": ADA,
        "competency_id": "3.OA.A.1",
        "score": 1,
        "max_score": 2,
        "occurred_at": "2026-09-02T10:00:00Z",
        "source": "canvas",
        "source_id": source_id,
    }


@pytest.fixture(scope="module")
async def world(module_database: str, infrastructure: Infrastructure) -> AsyncIterator[Any]:
    bootstrap = infrastructure.bootstrap_servers
    async with inprocess.running(SPEC, module_database, bootstrap, secret=SECRET) as run:
        await rostered(run, ADA, teachers=["t-ada"], guardians=["g-ada"])
        admin = bearer("admin", "d1")
        r = await run.client.post("/v1/assessments", json=_result(f"{ADA}/0"), headers=admin)
        assert r.status_code == 201, r.text
        assessment_id = r.json()["assessment_id"]
        async with asyncio.timeout(240):
            while (
                await run.client.get(f"/v1/assessments/{assessment_id}", headers=admin)
            ).status_code != 200:
                await asyncio.sleep(0.2)
        yield run, assessment_id


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_each_caller_on_each_endpoint(world: Any, endpoint: str, caller: str) -> None:
    run, assessment_id = world
    role, district, sub = CALLERS[caller]
    headers = bearer(role, district, sub=sub)
    tag = f"{ADA}/{caller}/{endpoint}"
    if endpoint == "record":
        r = await run.client.post("/v1/assessments", json=_result(tag), headers=headers)
    elif endpoint == "batch":
        body = {"results": [_result(tag)]}
        key = {"Idempotency-Key": secrets.token_hex(8)}
        r = await run.client.post("/v1/assessments/batch", json=body, headers=headers | key)
    elif endpoint == "list":
        r = await run.client.get(f"/v1/students/{ADA}/assessments", headers=headers)
    elif endpoint == "one":
        r = await run.client.get(f"/v1/assessments/{assessment_id}", headers=headers)
    else:
        url = f"/v1/assessments/{assessment_id}/void"
        r = await run.client.post(url, json={"reason": "entered_in_error"}, headers=headers)
    want = ENDPOINTS[endpoint].get(caller, 403)
    assert r.status_code == want, (caller, endpoint, r.text)
    if want >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        # Nothing about where Ada really is (as a word: random ids may hold "d1").
        assert not re.search(r"\bd1\b", r.json()["detail"]), r.text
