"""profile-svc over HTTP: reading and changing a student's profile, by every caller.

One service for the module; Ada is enrolled in district d1, section
``sec-ada`` taught by ``t-ada``, with guardian ``g-ada`` (educational rights)
and ``g-step`` (none). Whom Ada is not visible to gets 404; a role that sees
her but may not do the act gets 403.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from pathwise_devstack import inprocess
from pathwise_devstack.service_fixtures import SECRET, bearer, callers_of
from pathwise_devstack.stack import Infrastructure
from profile_svc.main import SPEC

pytestmark = [pytest.mark.integration, pytest.mark.isolation]

ADA = f"ada-{secrets.token_hex(4)}"
CALLERS = callers_of(ADA)
SEES = {"admin": 200, "her teacher": 200, "her guardian": 200, "the student": 200, "a service": 200}
# The status each caller gets; a caller not named does not see Ada: 404.
ENDPOINTS: dict[str, tuple[str, str, dict[str, int]]] = {
    "profile": ("GET", "/v1/students/{s}", SEES),
    "interests": (
        "PUT",
        "/v1/students/{s}/interests",
        SEES,  # staff, the student, and a guardian with educational rights
    ),
    "reflection": (
        "POST",
        "/v1/students/{s}/reflections",
        {
            "the student": 200,
            "a service": 200,
            "admin": 403,
            "her teacher": 403,
            "her guardian": 403,
        },
    ),
    "guardian contact": (
        "PUT",
        "/v1/students/{s}/guardians/g-ada/contact",
        {
            "her guardian": 200,
            "admin": 200,
            "a service": 200,
            "her teacher": 403,
            "the student": 403,
        },
    ),
}


def _body(endpoint: str, caller: str) -> dict[str, Any] | None:
    if endpoint == "interests":
        return {"interests": ["space"]}
    if endpoint == "reflection":
        return {"reflection_id": f"r-{secrets.token_hex(4)}", "text": "I liked the fractions"}
    if endpoint == "guardian contact":
        return {"email": "ada.mum@example.org", "language": "es"}
    return None


@pytest.fixture(scope="module")
async def world(module_database: str, infrastructure: Infrastructure) -> AsyncIterator[Any]:
    bootstrap = infrastructure.bootstrap_servers
    async with inprocess.running(SPEC, module_database, bootstrap, secret=SECRET) as run:
        admin = bearer("admin", "d1")
        body = {
            "student_id": ADA,
            "section_ids": ["sec-ada"],
            "display_name": "Ada Lovelace",
            "guardians": [
                {"guardian_id": "g-ada", "relationship": "mother", "email": "m@example.org"},
                {
                    "guardian_id": "g-step",
                    "relationship": "stepfather",
                    "educational_rights": False,
                },
            ],
        }
        assert (await run.client.post("/v1/students", json=body, headers=admin)).status_code == 201
        teachers = {"teacher_ids": ["t-ada"]}
        r = await run.client.put("/v1/sections/sec-ada/teachers", json=teachers, headers=admin)
        assert r.status_code == 204, r.text
        async with asyncio.timeout(240):  # the profile projection has caught up with Ada
            while (await run.client.get(f"/v1/students/{ADA}", headers=admin)).status_code != 200:
                await asyncio.sleep(0.2)
        yield run


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_each_caller_on_each_endpoint(world: Any, endpoint: str, caller: str) -> None:
    method, template, expected = ENDPOINTS[endpoint]
    role, district, sub = CALLERS[caller]
    r = await world.client.request(
        method,
        template.format(s=ADA),
        json=_body(endpoint, caller),
        headers=bearer(role, district, sub=sub),
    )
    want = expected.get(caller, 404)
    assert r.status_code == want, (caller, endpoint, r.text)
    if want >= 400:
        assert r.headers["content-type"] == "application/problem+json"
    if endpoint == "profile" and want == 200:
        seen = r.json()
        assert "Ada Lovelace" in str(seen)  # opened for whoever may see her
        if role == "guardian":  # a guardian sees their own contact entry only
            assert [g["guardian_id"] for g in seen["guardians"]] == ["g-ada"]
