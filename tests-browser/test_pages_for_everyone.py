"""Pages for everyone in a real browser: goals and interests edited by each role that may,
teachers reading reflections, teacher pages in Spanish and Arabic, administrator pages.

Every new page gets an axe-core check (no serious or critical violation) and a
screenshot in ``tests-browser/artifacts``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

import pytest
from browser_kit import check_axe, shot, sign_in
from demo_district import Portal
from playwright.async_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
# An outer limit: expect() returns as soon as profile-svc shows the write.
SAVED_LIMIT_MS = 120_000
NewPage = Callable[[], Awaitable[Page]]


async def _open(page: Page, url: str, status: int | tuple[int, ...] = 200) -> None:
    response = await page.goto(url)
    assert response is not None, url
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status in expected, f"{url}: HTTP {response.status}, expected {status}"


async def _switch_language(page: Page, lang: str) -> None:
    await page.select_option("#lang-switch", lang)
    async with page.expect_navigation():
        await page.locator("form.language button[type=submit]").click()


async def _add_goal_and_interests(page: Page, interest: str) -> None:
    """Add a goal on the first competency offered and set one interest, as the page allows."""
    goals = page.locator("#goal-list tbody tr")
    before = await goals.count()
    form = page.locator("#new-goal")
    await form.locator("[name=target_date]").fill("2027-05-31")
    async with page.expect_navigation():
        await form.locator("button[type=submit]").click()
    await expect(page.locator("#goal-list tbody tr")).to_have_count(
        before + 1, timeout=SAVED_LIMIT_MS
    )
    await expect(page.locator("[role=status]")).to_be_visible()
    await page.locator("#interests-field").fill(f"{interest}, music")
    async with page.expect_navigation():
        await page.locator("#interests button[type=submit]").click()
    await expect(page.locator("#interests-field")).to_have_value(
        f"{interest}, music", timeout=SAVED_LIMIT_MS
    )


async def test_teacher_edits_goals_and_interests_and_reads_reflections(
    portal: Portal, new_page: NewPage
) -> None:
    d = portal.district
    words = f"Fractions click now {secrets.token_hex(3)}"
    student = await new_page()
    await sign_in(student, portal.url, "student", d.student)
    await _open(student, f"{portal.url}/student")
    await student.locator("#text").fill(words)
    await student.select_option("#confidence", "3")
    async with student.expect_navigation():
        await student.locator("#reflection button[type=submit]").click()

    page = await new_page()
    await sign_in(page, portal.url, "teacher", d.teacher)
    await _open(page, f"{portal.url}/teacher/students/{d.student}")
    await expect(page.locator("#reflections")).to_contain_text(words, timeout=SAVED_LIMIT_MS)
    await _add_goal_and_interests(page, "space")
    await check_axe(page)
    await shot(page, "teacher-student-goals")
    # A student outside the teacher's sections: the page and the edit are refused.
    outsider = next(
        s
        for sec, kids in d.students_in.items()
        for s in kids
        if sec not in d.sections_of[d.teacher]
    )
    await _open(page, f"{portal.url}/teacher/students/{outsider}", status=(403, 404))
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = await page.request.post(
        f"{portal.url}/profile/students/{outsider}/interests",
        form={"csrf_token": token or "", "interests": "space"},
        max_redirects=0,
    )
    assert refused.status in (403, 404)


async def test_family_and_student_edit_goals_and_interests(
    portal: Portal, new_page: NewPage
) -> None:
    d = portal.district
    family = await new_page()
    await sign_in(family, portal.url, "guardian", d.guardian)
    await _open(family, f"{portal.url}/family/children/{d.student}")
    await _add_goal_and_interests(family, "soccer")
    await check_axe(family)
    await shot(family, "family-child-goals")

    student = await new_page()
    await sign_in(student, portal.url, "student", d.student)
    await _open(student, f"{portal.url}/student")
    await _add_goal_and_interests(student, "dinosaurs")
    await check_axe(student)
    await shot(student, "student-goals")
    token = await student.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = await student.request.post(
        f"{portal.url}/profile/students/{d.other_child}/interests",
        form={"csrf_token": token or "", "interests": "space"},
        max_redirects=0,
    )
    assert refused.status in (403, 404)


@pytest.mark.parametrize(
    ("lang", "direction", "heading"), [("es", "ltr", "Mis grupos"), ("ar", "rtl", "صفوفي")]
)
async def test_teacher_pages_in_spanish_and_arabic(
    portal: Portal, page: Page, lang: str, direction: str, heading: str
) -> None:
    d = portal.district
    await sign_in(page, portal.url, "teacher", d.teacher)
    await _open(page, f"{portal.url}/teacher")
    await _switch_language(page, lang)
    html = page.locator("html")
    assert (await html.get_attribute("lang"), await html.get_attribute("dir")) == (lang, direction)
    await expect(page.locator("h1")).to_have_text(heading)
    await check_axe(page)
    await shot(page, f"teacher-home-{lang}")
    for url, name in (
        (f"/teacher/sections/{d.section}", "section"),
        (f"/teacher/students/{d.student}", "student"),
    ):
        await _open(page, f"{portal.url}{url}")
        assert await html.get_attribute("dir") == direction
        assert await html.get_attribute("lang") == lang
        await check_axe(page)
        await shot(page, f"teacher-{name}-{lang}")


ADMIN_PAGES = (
    ("/admin", "#district-mastery", "admin-overview"),
    ("/admin/accommodations", "#accommodations", "admin-accommodations"),
    ("/admin/frameworks", "#bundled", "admin-frameworks"),
    ("/admin/messages", "#message-rules", "admin-messages"),
)


async def test_administrator_pages(portal: Portal, new_page: NewPage) -> None:
    page = await new_page()
    await sign_in(page, portal.url, "admin", "dev-admin")
    for url, table, name in ADMIN_PAGES:
        await _open(page, f"{portal.url}{url}")
        await expect(page.locator("h1")).to_have_count(1)
        await expect(page.locator(f"{table} tbody tr").first).to_be_visible()
        if url == "/admin":  # the demo district's stuck students, across its sections
            for stuck in portal.district.stuck:
                await expect(page.locator("#district-support")).to_contain_text(stuck)
        await check_axe(page)
        await shot(page, name)
    teacher = await new_page()
    await sign_in(teacher, portal.url, "teacher", portal.district.teacher)
    for url, _, _ in ADMIN_PAGES:
        await _open(teacher, f"{portal.url}{url}", status=(403, 404))
