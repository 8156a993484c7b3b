"""path-svc over HTTP: every read and write of a student, by every caller, own and not.

One service for the module, one rostered student (Ada: district d1, taught by
``t-ada``, guardian ``g-ada`` with educational rights and ``g-step`` without),
and a matrix of callers against each endpoint that names a student.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from path_support import guardian_linked, produce, recorded, rostered

from path_svc.main import SPEC
from pathwise_devstack import inprocess
from pathwise_devstack.inprocess import Running
from pathwise_devstack.service_fixtures import SECRET, bearer, callers_of
from pathwise_devstack.stack import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.isolation]

ADA = f"ada-{secrets.token_hex(4)}"
SECTION = f"sec-{ADA}"  # the topics are shared with other modules' Adas
CALLERS = callers_of(ADA)
# The status each caller gets; a caller not named gets 403 (a role that may not).
# Whom Ada does not exist for: 404, like a student nobody knows.
ELSEWHERE = {"admin of d2": 404, "her teacher's namesake in d2": 404, "a service of d2": 404}
OTHER_TEACHER = {"another section's teacher": 404}
OTHER_FAMILY = {"guardian without rights": 404, "another family's guardian": 404}
READ = {"admin": 200, "her teacher": 200, "her guardian": 200, "a service": 200}
READ |= ELSEWHERE | OTHER_TEACHER | OTHER_FAMILY
OVERRIDES = {"admin": 200, "her teacher": 200, "admin of d2": 404}
OVERRIDES |= {"her teacher's namesake in d2": 404} | OTHER_TEACHER
STEER = {"admin": 202, "her teacher": 202, "admin of d2": 404}
STEER |= {"her teacher's namesake in d2": 404} | OTHER_TEACHER
CHOOSE = {**STEER, "the student": 202, "another student": 404}
ENDPOINTS: dict[str, tuple[str, str, dict[str, int]]] = {
    "path": ("GET", "/v1/students/{s}/path", READ),
    "history": ("GET", "/v1/students/{s}/path/history", READ),
    "mastery": ("GET", "/v1/students/{s}/mastery", READ),
    "overrides": ("GET", "/v1/students/{s}/path/overrides", OVERRIDES),
    "override": ("POST", "/v1/students/{s}/path/overrides", STEER),
    "choice": ("POST", "/v1/students/{s}/path/steps/{step}/choice", CHOOSE),
}


@pytest.fixture(scope="module")
async def world(module_database: str, infrastructure: Infrastructure) -> AsyncIterator[Any]:
    bootstrap = infrastructure.bootstrap_servers
    async with inprocess.running(SPEC, module_database, bootstrap, secret=SECRET) as run:
        await produce(
            bootstrap,
            [
                *rostered(ADA, teachers=["t-ada"], sections=[SECTION]),
                guardian_linked(ADA, "g-ada"),
                guardian_linked(ADA, "g-step", rights=False),
                recorded(ADA, 0, score=0.0),
            ],
        )
        path = await _wait_for_path(run)
        yield run, path["steps"][0]


async def _wait_for_path(run: Running) -> Any:
    """The path and Ada's guardian link are both in: the projection caught up."""
    admin, guardian = bearer("admin", "d1"), bearer("guardian", "d1", sub="g-ada")
    async with asyncio.timeout(240):
        while True:
            r = await run.client.get(f"/v1/students/{ADA}/path", headers=admin)
            g = await run.client.get(f"/v1/students/{ADA}/path", headers=guardian)
            if r.status_code == 200 and g.status_code == 200:
                return r.json()
            await asyncio.sleep(0.2)


def _body(endpoint: str, step: dict[str, Any]) -> dict[str, Any] | None:
    if endpoint == "override":
        return {"action": "pin", "competency_id": step["competency_id"]}
    if endpoint == "choice":
        return {"modality": step["options"][0]}
    return None


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_each_caller_on_each_endpoint(world: Any, endpoint: str, caller: str) -> None:
    run, step = world
    method, template, expected = ENDPOINTS[endpoint]
    role, district, sub = CALLERS[caller]
    url = template.format(s=ADA, step=step["competency_id"])
    r = await run.client.request(
        method, url, json=_body(endpoint, step), headers=bearer(role, district, sub=sub)
    )
    want = expected.get(caller, 403)
    assert r.status_code == want, (caller, endpoint, r.text)
    if want >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        # Nothing about where Ada really is (as a word: random ids may hold "d1").
        assert not re.search(r"\bd1\b", r.json()["detail"]), r.text


@pytest.mark.parametrize(
    ("caller", "sees_ada"),
    [("her teacher", True), ("another section's teacher", False), ("admin", True)],
)
async def test_a_section_roster_lists_only_the_students_the_teacher_teaches(
    world: Any, caller: str, sees_ada: bool
) -> None:
    run, _ = world
    role, district, sub = CALLERS[caller]
    r = await run.client.get(
        f"/v1/sections/{SECTION}/roster", headers=bearer(role, district, sub=sub)
    )
    assert r.status_code == 200
    assert [s["student_id"] for s in r.json()["students"]] == ([ADA] if sees_ada else [])
