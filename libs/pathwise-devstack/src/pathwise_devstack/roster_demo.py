"""The demo's roster step: import a sample district through profile-svc, then erase a student.

Shows the OneRoster import end to end (and that repeating it changes
nothing), a delta that withdraws a student, and erasure; the counts come
back for the demo's summary.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

PREFIX = "sample-"
"""Before the sample's ids, so they never meet the demo's own ``stu-NNNNN`` students."""


class _Platform(Protocol):
    def url(self, service: str) -> str: ...

    def token(self, role: str = ..., district: str = ...) -> str: ...


async def demo_step(
    client: httpx.AsyncClient, platform: _Platform, *, students: int = 60, seed: int = 7
) -> dict[str, Any]:
    """Import, re-import, withdraw one student by delta and erase another; returns the counts."""
    import pathwise_devstack.sample_district as sample_district

    url = f"{platform.url('profile-svc')}/v1"
    admin = {"Authorization": f"Bearer {platform.token('admin')}"}
    zipped = {**admin, "Content-Type": "application/zip"}
    package = sample_district.to_zip(sample_district.generate(students, seed, PREFIX))

    async def post(body: bytes) -> dict[str, Any]:
        r = await client.post(f"{url}/rosters/oneroster", content=body, headers=zipped, timeout=300)
        r.raise_for_status()
        report: dict[str, Any] = r.json()
        return report

    first = await post(package)
    again = await post(package)
    delta = await post(sample_district.to_zip(sample_district.withdrawal([f"{PREFIX}stu-00002"])))
    erased = await client.delete(f"{url}/students/{PREFIX}stu-00001", headers=admin)
    erased.raise_for_status()
    return {
        "roster_students": students,
        "roster_created": first["created"],
        "roster_rejected": len(first["rejected"]),
        "roster_section_teachers": first["section_teachers"]["assigned"],
        "roster_reimport_skipped": again["skipped"],
        "roster_reimport_events": again["events"],
        "roster_withdrawn": delta["withdrawn"],
        "students_erased": 1,
    }
