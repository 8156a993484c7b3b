"""The portal in a real browser: who sees what, a live override, preferences, accessibility.

Signs in through the development sign-in page as a teacher, a guardian and a
student of the demo district; every main page gets an axe-core check (no
serious or critical violation) and a screenshot in ``tests-browser/artifacts``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from browser_kit import check_axe, shot, sign_in
from demo_district import Portal
from playwright.async_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
# An outer limit: expect() returns as soon as the live update lands; a replan crosses
# three processes, which on a loaded CI machine can take well over the usual seconds.
LIVE_UPDATE_LIMIT_MS = 240_000

NewPage = Callable[[], Awaitable[Page]]


REFUSED = (403, 404)
"""A page of another role: refused either way, never shown."""


async def _open(page: Page, url: str, *, status: int | tuple[int, ...] = 200) -> None:
    response = await page.goto(url)
    assert response is not None, url
    expected = status if isinstance(status, tuple) else (status,)
    assert response.status in expected, f"{url}: HTTP {response.status}, expected {status}"


async def _page_basics(page: Page) -> None:
    """What every portal page promises: language and direction, one h1, main, a skip link."""
    html = page.locator("html")
    assert await html.get_attribute("lang")
    assert await html.get_attribute("dir") in ("ltr", "rtl")
    await expect(page.locator("h1")).to_have_count(1)
    await expect(page.locator("main")).to_have_count(1)
    assert await page.locator("a[href^='#']").count() >= 1, "no skip link"


async def test_sign_in_page(portal: Portal, page: Page) -> None:
    await _open(page, f"{portal.url}/signin")
    await _page_basics(page)
    posts = page.locator("form[method=post]")
    assert await posts.count() >= 1
    for form in await posts.all():
        await expect(form.locator("input[type=hidden][name=csrf_token]")).to_have_count(1)
    await check_axe(page)
    await shot(page, "signin")


async def test_teacher_sees_their_section_and_student_and_nobody_else(
    portal: Portal, page: Page
) -> None:
    d = portal.district
    await sign_in(page, portal.url, "teacher", d.teacher)
    await _open(page, f"{portal.url}/teacher")
    await _page_basics(page)
    await expect(page.locator(f"main a[href='/teacher/sections/{d.section}']")).to_have_count(1)
    await check_axe(page)
    await shot(page, "teacher-home")

    await page.locator(f"main a[href='/teacher/sections/{d.section}']").click()
    await expect(page.locator("h1")).to_contain_text(d.section)
    roster = page.locator("#roster tbody tr")
    await expect(roster).to_have_count(len(d.students_in[d.section]))
    for student in d.students_in[d.section]:
        await expect(page.locator(f"#roster a[href='/teacher/students/{student}']")).to_be_visible()
    stuck = [s for s in d.students_in[d.section] if s in d.stuck]
    assert stuck, "the demo district should give the section a student who needs support"
    for student in stuck:
        await expect(
            page.locator(f"#support a[href='/teacher/students/{student}']")
        ).to_be_visible()
    await expect(page.locator("#support")).to_contain_text("stalled")
    await expect(page.locator("#groups")).to_be_visible()
    await _page_basics(page)
    await check_axe(page)
    await shot(page, "teacher-section", readme="teacher-section")

    await page.locator(f"#roster a[href='/teacher/students/{d.student}']").click()
    await expect(page.locator("#mastery-map")).to_be_visible()
    assert await page.locator("svg#mastery-map, #mastery-map svg").count() == 1
    await expect(page.locator("#path")).to_be_visible()
    await expect(page.locator("form[action$='/overrides']")).to_have_count(1)
    await _page_basics(page)
    await check_axe(page)
    await shot(page, "teacher-student")

    elsewhere = next(s for s in d.students_in if s != d.section)
    await _open(page, f"{portal.url}/teacher/sections/{elsewhere}", status=404)
    await _open(page, f"{portal.url}/teacher/students/{d.students_in[elsewhere][0]}", status=404)
    await check_axe(page)
    await shot(page, "not-found")


async def test_guardian_sees_their_child_but_not_another_familys(
    portal: Portal, page: Page
) -> None:
    d = portal.district
    await sign_in(page, portal.url, "guardian", d.guardian)
    await _open(page, f"{portal.url}/family")
    await _page_basics(page)
    for child in d.children_of[d.guardian]:
        await expect(page.locator(f"main a[href='/family/children/{child}']")).to_have_count(1)
    await check_axe(page)
    await shot(page, "family-home")

    await page.locator(f"main a[href='/family/children/{d.student}']").click()
    await expect(page.locator("#path")).to_be_visible()
    assert await page.locator("svg#progress-chart, #progress-chart svg").count() == 1
    await _page_basics(page)
    await check_axe(page)
    await shot(page, "family-child", readme="family-child")

    await _open(page, f"{portal.url}/family/children/{d.other_child}", status=404)
    await _open(page, f"{portal.url}/teacher/sections/{d.section}", status=REFUSED)


async def test_student_sees_their_own_path_only(portal: Portal, page: Page) -> None:
    d = portal.district
    await sign_in(page, portal.url, "student", d.student)
    await _open(page, f"{portal.url}/student")
    await expect(page.locator("#path li[data-competency]").first).to_be_visible()
    await expect(page.locator("form#reflection")).to_have_count(1)
    await _page_basics(page)
    await check_axe(page)
    await shot(page, "student")
    await _open(page, f"{portal.url}/family/children/{d.student}", status=REFUSED)
    await _open(page, f"{portal.url}/teacher/students/{d.other_child}", status=REFUSED)


async def test_teacher_override_changes_the_students_path_live(
    portal: Portal, new_page: NewPage
) -> None:
    d = portal.district
    student_page, teacher_page = await new_page(), await new_page()
    await sign_in(student_page, portal.url, "student", d.student)
    await _open(student_page, f"{portal.url}/student")
    first = student_page.locator("#path li[data-competency]").first
    await expect(first).to_be_visible()
    skipped = await first.get_attribute("data-competency")
    assert skipped
    # A page reload would drop this marker: the path must change without one.
    await student_page.evaluate("window.pathwiseNoReload = true")

    await sign_in(teacher_page, portal.url, "teacher", d.teacher)
    await _open(teacher_page, f"{portal.url}/teacher/students/{d.student}")
    form = teacher_page.locator("form[action$='/overrides']")
    await form.locator("select[name=action]").select_option("skip")
    await form.locator("select[name=competency_id]").select_option(skipped)
    await form.locator("textarea[name=note]").fill("Covered in class already")
    await form.get_by_role("button", name="Apply override").click()
    await expect(teacher_page.locator("[role=status]")).to_contain_text("Override sent")

    gone = student_page.locator(f"#path li[data-competency='{skipped}']")
    await expect(gone).to_have_count(0, timeout=LIVE_UPDATE_LIMIT_MS)
    assert await student_page.evaluate("window.pathwiseNoReload === true"), "the page reloaded"
    assert await student_page.locator("#path").get_attribute("data-refreshed")

    # The override is listed while in force; lifting it brings the step back, live too.
    await _open(teacher_page, f"{teacher_page.url.split('?')[0]}")
    lift = teacher_page.get_by_role("button", name=f"Lift the skip of {skipped}")
    await lift.click()
    await expect(teacher_page.locator("[role=status]")).to_contain_text("Override lifted")
    await expect(gone).to_have_count(1, timeout=LIVE_UPDATE_LIMIT_MS)
    assert await student_page.evaluate("window.pathwiseNoReload === true"), "the page reloaded"


async def test_guardian_preference_change_reaches_profile_svc(portal: Portal, page: Page) -> None:
    d = portal.district
    await sign_in(page, portal.url, "guardian", d.guardian)
    await _open(page, f"{portal.url}/family/preferences")
    form = page.locator("form#preferences")
    await form.locator("select[name=frequency_email]").select_option("daily_digest")
    await form.locator("input[name=quiet_start]").fill("21:00")
    await form.locator("input[name=quiet_end]").fill("07:00")
    await form.locator("input[name=time_zone]").fill("America/Chicago")
    await _page_basics(page)
    await check_axe(page)
    await shot(page, "family-preferences")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("[role=status]")).to_be_visible()
    await expect(page.locator("[role=alert]")).to_have_count(0)

    guardian = await _guardian_in_profile_svc(portal, d.student, d.guardian)
    assert guardian["frequency"].get("email") == "daily_digest", guardian
    assert guardian["quiet_hours"]["start"].startswith("21:00"), guardian
    assert guardian["quiet_hours"]["end"].startswith("07:00"), guardian
    assert guardian["time_zone"] == "America/Chicago", guardian
    # Read back through the portal: the form now shows what profile-svc stored.
    await _open(page, f"{portal.url}/family/preferences")
    await expect(form.locator("select[name=frequency_email]")).to_have_value("daily_digest")
    await expect(form.locator("input[name=quiet_start]")).to_have_value("21:00")


async def _guardian_in_profile_svc(portal: Portal, student: str, guardian: str) -> dict[str, Any]:
    """The guardian as profile-svc serves it (with a service token), once the change shows."""
    url = f"{portal.platform.url('profile-svc')}/v1/students/{student}"
    found: dict[str, Any] = {}
    async with httpx.AsyncClient(headers=portal.service_headers(), timeout=10) as client:
        for _ in range(50):
            response = await client.get(url)
            response.raise_for_status()
            found = next(g for g in response.json()["guardians"] if g["guardian_id"] == guardian)
            if found.get("quiet_hours"):
                break
            await asyncio.sleep(0.2)
    return found
