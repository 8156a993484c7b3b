"""Editing goals and interests against stub services (no I/O): If-Match carries the
version the page read, a stale page is refused with the service's word, a student edits
only themself, a guardian only a child they hold educational rights for."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from stub_portal import portal_client, sign_in

pytestmark = pytest.mark.unit
FRAMEWORK = {
    "name": "f",
    "title": "F",
    "mastery_threshold": 0.95,
    "competencies": [{"code": "3.OA.A.1", "description": "Products", "prerequisites": []}],
}


class Profile:
    """profile-svc (and path-svc's framework) as the stub sees them; records every PUT."""

    def __init__(self) -> None:
        self.version = 3
        self.puts: list[tuple[str, str | None, Any]] = []
        self.stale = False

    def student(self, sid: str) -> dict[str, Any]:
        guardian = {"guardian_id": "gdn-1", "educational_rights": sid == "stu-1", "language": "en"}
        return {
            "student_id": sid,
            "display_name": "Ana",
            "version": self.version,
            "section_ids": [],
            "guardians": [guardian],
            "goals": [],
            "interests": [],
            "reflections": [],
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/framework":
            return httpx.Response(200, json=FRAMEWORK)
        if request.method == "PUT":
            self.puts.append((path, request.headers.get("if-match"), json.loads(request.content)))
            if self.stale:
                return httpx.Response(412, json={"detail": "If-Match is stale: version 9"})
            self.version += 1
            return httpx.Response(200, json={"student_id": "stu-1", "version": self.version})
        if path in ("/v1/students/stu-1", "/v1/students/stu-2"):
            return httpx.Response(200, json=self.student(path.rsplit("/", 1)[1]))
        return httpx.Response(404, json={"detail": "not here"})


@pytest.fixture
def profile() -> Profile:
    return Profile()


@pytest.fixture
async def browser(profile: Profile) -> AsyncIterator[httpx.AsyncClient]:
    async with portal_client(profile, "x" * 32) as client:
        yield client


async def test_a_student_edits_their_own_interests_with_if_match(
    browser: httpx.AsyncClient, profile: Profile
) -> None:
    token = await sign_in(browser, "student", "stu-1")
    page = await browser.get("/student")
    assert page.status_code == 200 and 'name="version" value="3"' in page.text
    saved = await browser.post(
        "/profile/students/stu-1/interests",
        data={"interests": "Space, soccer team", "version": "3", "csrf_token": token},
    )
    assert saved.status_code == 303 and saved.headers["location"].startswith("/student?notice")
    assert profile.puts == [
        ("/v1/students/stu-1/interests", '"3"', {"interests": ["space", "soccer_team"]})
    ]
    other = await browser.post(
        "/profile/students/stu-2/interests",
        data={"interests": "space", "version": "3", "csrf_token": token},
    )
    assert other.status_code == 404 and len(profile.puts) == 1
    bad = await browser.post(
        "/profile/students/stu-1/interests",
        data={"interests": "¡fútbol!", "version": "4", "csrf_token": token},
    )
    assert bad.status_code == 422 and "interests:" in bad.text and len(profile.puts) == 1
    forged = await browser.post(
        "/profile/students/stu-1/interests", data={"interests": "space", "version": "4"}
    )
    assert forged.status_code == 403 and len(profile.puts) == 1


async def test_a_stale_page_is_refused_with_the_services_detail(
    browser: httpx.AsyncClient, profile: Profile
) -> None:
    token = await sign_in(browser, "student", "stu-1")
    profile.stale = True
    refused = await browser.post(
        "/profile/students/stu-1/goals",
        data={"competency_id": "3.OA.A.1", "version": "2", "csrf_token": token},
    )
    assert refused.status_code == 422 and "version 9" in refused.text
    path, if_match, body = profile.puts[0]
    assert path.startswith("/v1/students/stu-1/goals/goal-") and if_match == '"2"'
    assert body["agreed_by"] == ["student"] and body["competency_ids"] == ["3.oa.a.1"]


async def test_a_guardian_edits_only_a_child_they_hold_rights_for(
    browser: httpx.AsyncClient, profile: Profile
) -> None:
    token = await sign_in(browser, "guardian", "gdn-1")
    denied = await browser.post(
        "/profile/students/stu-2/goals",
        data={"competency_id": "3.OA.A.1", "version": "3", "csrf_token": token},
    )
    assert denied.status_code == 404 and profile.puts == []
    done = await browser.post(
        "/profile/students/stu-1/goals",
        data={"competency_id": "3.OA.A.1", "version": "3", "csrf_token": token},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/family/children/stu-1")
    assert profile.puts[0][2]["agreed_by"] == ["guardian"]
