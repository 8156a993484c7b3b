"""The demo's portal step: give the demo district teachers, and say whom to sign in as.

The demo enrolls students into sections ``sec-31`` .. ``sec-34`` without
teachers; assigning one teacher per section (``tch-31`` teaches ``sec-31``,
...) and one who teaches them all (``tch-all``) makes the teacher pages show
a roster with paths, mastery, support alerts and groups. Each teacher gets an
example work address (``tch-31@school.example``), so a support alert about one
of their students also reaches them by email (the demo's SMTP sink).
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

SECTIONS = ("sec-31", "sec-32", "sec-33", "sec-34")


class _Platform(Protocol):
    def url(self, service: str) -> str: ...

    def token(self, role: str = ..., district: str = ...) -> str: ...

    @property
    def portal_url(self) -> str: ...


def teacher_of(section: str) -> str:
    return f"tch-{section.removeprefix('sec-')}"


def email_of(teacher: str) -> str:
    return f"{teacher}@school.example"


async def demo_step(client: httpx.AsyncClient, platform: _Platform) -> dict[str, Any]:
    """Assign the demo sections' teachers; return the portal address and sample sign-ins."""
    admin = {"Authorization": f"Bearer {platform.token('admin')}"}
    base = platform.url("profile-svc")
    for section in SECTIONS:
        teachers = [teacher_of(section), "tch-all"]
        r = await client.put(
            f"{base}/v1/sections/{section}/teachers",
            json={"teacher_ids": teachers, "emails": {t: email_of(t) for t in teachers}},
            headers=admin,
        )
        r.raise_for_status()
    return {
        "portal_url": platform.portal_url,
        "portal_teachers": [teacher_of(s) for s in SECTIONS] + ["tch-all"],
        "portal_guardian": "gdn-00000-1",
        "portal_student": "stu-00000",
    }
