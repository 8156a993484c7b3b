"""Competency text on the family and student pages follows the reader's language,
and where a framework lacks a translation the English shows, marked as English."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from stub_portal import csrf, family_of_ana, portal_client, sign_in

pytestmark = pytest.mark.unit
SECRET = "y" * 32
FRAMEWORK = {
    "name": "grade3-math",
    "title": "Grade 3 mathematics",
    "titles": {"es": "Matemáticas de 3.º grado"},
    "mastery_threshold": 0.95,
    "competencies": [
        {
            "code": "3.OA.A.1",
            "description": "Interpret a product of whole numbers.",
            "descriptions": {"es": "Interpretar un producto de números enteros."},
            "prerequisites": [],
        },
        {"code": "3.OA.A.2", "description": "Interpret a quotient.", "prerequisites": []},
    ],
}
STEPS = [
    {"competency_id": code, "modality": "independent_practice", "reason": "ready", "options": []}
    for code in ("3.OA.A.1", "3.OA.A.2")
]
PATH = {"student_id": "stu-1", "version": 1, "steps": STEPS, "updated_at": "2026-09-01T10:00:00Z"}


def services(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/v1/framework":
        return httpx.Response(200, json=FRAMEWORK)
    if path in ("/v1/students/stu-1/path", "/v1/me/path"):
        return httpx.Response(200, json=PATH)
    family = family_of_ana(request, "es")
    if family is not None:
        return family
    return httpx.Response(404, json={"detail": "not here"})


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with portal_client(services, SECRET) as client:
        yield client


async def test_a_spanish_family_page_shows_spanish_competency_text_and_marks_english(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser, "guardian", "gdn-1")
    page = await browser.get("/family/children/stu-1")
    assert page.status_code == 200 and '<html lang="es"' in page.text
    assert '<span lang="es" dir="auto">Interpretar un producto de números enteros.</span>' in (
        page.text
    )
    # No Spanish text for 3.OA.A.2: the English shows, tagged lang="en" and said to be English.
    assert re.search(
        r'<span lang="en" dir="auto">Interpret a quotient</span> <small>\(en inglés\)', page.text
    )


async def test_the_student_page_follows_the_chosen_language_with_a_visible_fallback(
    browser: httpx.AsyncClient,
) -> None:
    await sign_in(browser, "student", "stu-1")
    english = await browser.get("/student")
    assert english.status_code == 200
    assert '<span lang="en" dir="auto">Interpret a product of whole numbers.</span>' in english.text
    assert "(in English)" not in english.text
    switched = await browser.post(
        "/language", data={"lang": "es", "next": "/student", "csrf_token": csrf(english.text)}
    )
    assert switched.status_code == 303
    spanish = (await browser.get("/student")).text
    assert (
        '<span lang="es" dir="auto">Interpretar un producto de números enteros.</span>' in spanish
    )
    assert '<span lang="en" dir="auto">Interpret a quotient.</span> <small>(en inglés)</small>' in (
        spanish
    )
