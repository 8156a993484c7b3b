"""An administrator moves the district to a bundled framework from the frameworks page."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from stub_portal import portal_client, sign_in

pytestmark = pytest.mark.unit
FRAMEWORK = {
    "name": "grade3-math",
    "title": "Grade 3 mathematics",
    "mastery_threshold": 0.95,
    "competencies": [{"code": "3.OA.A.1", "description": "Products", "prerequisites": []}],
}
BUNDLED = [
    {
        "name": n,
        "title": n,
        "titles": {},
        "version": "1",
        "competencies": 1,
        "prerequisites": 0,
        "languages": ["en"],
        "default": n == "grade3-math",
    }
    for n in ("grade3-math", "ccssm-k8")
]


class Path:
    """path-svc as an administrator of d1 finds it; records the district's choice."""

    def __init__(self) -> None:
        self.chosen: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/framework":
            return httpx.Response(200, json=FRAMEWORK)
        if path == "/v1/frameworks/bundled":
            return httpx.Response(200, json=BUNDLED)
        if path == "/v1/district/framework" and request.method == "PUT":
            body = json.loads(request.content)
            self.chosen.append(body)
            if body["name"] not in {b["name"] for b in BUNDLED}:
                return httpx.Response(422, json={"detail": "name: no bundled framework"})
            return httpx.Response(202, json={"name": body["name"]})
        if path == "/v1/district/framework":
            return httpx.Response(200, json={"name": "grade3-math", "since": None})
        return httpx.Response(404, json={"detail": "not here"})


@pytest.fixture
def path_svc() -> Path:
    return Path()


@pytest.fixture
async def admin(path_svc: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with portal_client(path_svc, "a" * 32) as client:
        yield client, await sign_in(client, "admin", "adm-1")


async def test_an_admin_chooses_a_bundled_framework_for_the_district(
    admin: tuple[httpx.AsyncClient, str], path_svc: Path
) -> None:
    browser, token = admin
    page = await browser.get("/admin/frameworks")
    assert page.status_code == 200
    assert 'name="name" value="ccssm-k8"' in page.text  # offered
    assert 'name="name" value="grade3-math"' not in page.text  # in use: nothing to choose
    chosen = await browser.post("/admin/frameworks", data={"name": "ccssm-k8", "csrf_token": token})
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/admin/frameworks?notice=framework"
    assert path_svc.chosen == [{"name": "ccssm-k8"}]


async def test_a_refused_choice_is_shown_and_a_post_without_csrf_does_nothing(
    admin: tuple[httpx.AsyncClient, str], path_svc: Path
) -> None:
    browser, token = admin
    refused = await browser.post("/admin/frameworks", data={"name": "nope", "csrf_token": token})
    assert refused.status_code == 422 and "no bundled framework" in refused.text
    forged = await browser.post("/admin/frameworks", data={"name": "ccssm-k8"})
    assert forged.status_code in (400, 403) and path_svc.chosen == [{"name": "nope"}]
