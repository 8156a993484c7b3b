"""What families receive, as the development mail sink shows it: one message per moment.

The demo district's results arrive in one burst, so the masteries of a child's
burst fall inside the coalescing window (set for the browser platform in
conftest) and travel to each guardian as one message that lists them; support
alerts are urgent and go at once, on their own.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import pytest
from browser_kit import check_axe, shot
from demo_district import Portal
from playwright.async_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ARRIVAL_LIMIT_S = 240
"""Outer limit only: the wait ends as soon as the coalesced messages are in the sink."""
COALESCED_SUBJECT = re.compile(r"\d+")
"""Every language's subject for a coalesced message names how many updates it holds."""
SUPPORT_SUBJECTS = {
    "your student may need support",
    "su estudiante podría necesitar apoyo",
    "con của quý vị có thể cần hỗ trợ",
    "您的孩子可能需要帮助",
    "قد يحتاج طالبكم إلى الدعم",
}
"""A support alert's whole subject in each language (other subjects name competencies,
whose titles may say "support" too)."""


def _facts(mail: dict[str, Any]) -> int:
    """The facts a family mail tells: one paragraph each between the heading and the footer."""
    paragraphs = [p for p in mail.get("text", "").split("\n\n") if p.strip()]
    return max(len(paragraphs) - 3, 0)


def _is_support(mail: dict[str, Any]) -> bool:
    return (mail.get("subject") or "").strip().lower() in SUPPORT_SUBJECTS


async def _coalesced(portal: Portal) -> list[dict[str, Any]]:
    async with asyncio.timeout(ARRIVAL_LIMIT_S):
        while True:
            mails = portal.platform.mails()
            together = [m for m in mails if not _is_support(m) and _facts(m) >= 2]
            if together:
                await portal.platform.wait_caught_up(timeout=ARRIVAL_LIMIT_S, settle=1.0)
                return together
            await asyncio.sleep(0.5)


async def test_a_burst_of_masteries_reaches_each_family_as_one_message(
    portal: Portal, page: Page
) -> None:
    together = await _coalesced(portal)
    mails = portal.platform.mails()
    family = [m for m in mails if not m["rcpt_tos"][0].endswith("@district.example.org")]
    news = Counter(
        (m["rcpt_tos"][0], m["headers"].get("X-Pathwise-Student-Id"))
        for m in family
        if not _is_support(m)
    )
    assert news, "no family heard of a mastery"
    twice = {who: n for who, n in news.items() if n > 1}
    assert not twice, f"a family told of one child's burst in several messages: {twice}"
    for mail in together:
        count = COALESCED_SUBJECT.search(mail["subject"] or "")
        assert count and int(count.group()) == _facts(mail), mail["subject"]

    await page.goto(portal.platform.infra.smtp_web_url)
    await expect(page.locator("h1")).to_contain_text(str(len(mails)))
    subject = together[0]["subject"]
    await expect(page.get_by_role("cell", name=subject, exact=True).first).to_be_visible()
    await check_axe(page)
    await shot(page, "mail-sink-coalesced")
