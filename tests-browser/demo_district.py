"""A small demo district for the browser tests, loaded through the services' own APIs.

The sample district (profile-svc's OneRoster generator) gives teachers with
sections, students and their guardians; a few assessment results per student
give everyone a path, mastery and, for a struggling student, a support alert.
Who is who is read back from the same generated files, so the tests pick
their teacher, guardian and student without guessing ids.
"""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from pathwise_devstack import simulation
from pathwise_devstack.platform import Platform

PREFIX = "demo-"
STUDENTS = 36
SEED = 11
COMPETENCIES = 3
ATTEMPTS = 4
STUCK_ATTEMPTS = 7


class _Platform(Protocol):
    def url(self, service: str) -> str: ...

    def token(self, role: str = ..., district: str = ...) -> str: ...

    async def wait_caught_up(self, *, timeout: float = ..., settle: float = ...) -> None: ...


@dataclass
class District:
    """The people the tests sign in as, and what each of them may see."""

    sections_of: dict[str, list[str]] = field(default_factory=dict)
    """teacher id -> sections taught."""
    students_in: dict[str, list[str]] = field(default_factory=dict)
    """section id -> students."""
    children_of: dict[str, list[str]] = field(default_factory=dict)
    """guardian (with educational rights) id -> children."""
    competencies: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    """Students whose results keep failing on their first step (a support alert each)."""

    @property
    def teacher(self) -> str:
        return min(self.sections_of)

    @property
    def section(self) -> str:
        return self.sections_of[self.teacher][0]

    @property
    def student(self) -> str:
        """A student in the teacher's first section who has a guardian with rights."""
        with_family = {c for kids in self.children_of.values() for c in kids}
        return next(s for s in self.students_in[self.section] if s in with_family)

    @property
    def guardian(self) -> str:
        return min(g for g, kids in self.children_of.items() if self.student in kids)

    @property
    def other_child(self) -> str:
        """A student who is not one of the guardian's children."""
        mine = set(self.children_of[self.guardian])
        return next(s for kids in self.students_in.values() for s in kids if s not in mine)


def _rows(files: dict[str, str], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[f"{name}.csv"])))


def who_is_who(files: dict[str, str]) -> District:
    """Teachers' sections, sections' students and guardians' children from the CSV files."""
    district = District()
    sections_of: dict[str, list[str]] = defaultdict(list)
    students_in: dict[str, list[str]] = defaultdict(list)
    for row in _rows(files, "enrollments"):
        if row["role"] == "teacher":
            sections_of[row["userSourcedId"]].append(row["classSourcedId"])
        elif row["role"] == "student":
            students_in[row["classSourcedId"]].append(row["userSourcedId"])
    users = {u["sourcedId"]: u for u in _rows(files, "users")}
    roles = {r["userSourcedId"]: r["role"] for r in _rows(files, "roles")}
    children_of: dict[str, list[str]] = defaultdict(list)
    for sid, user in users.items():
        if roles.get(sid) != "student":
            continue
        for agent in filter(None, user["agentSourcedIds"].split(",")):
            rights = users[agent].get("metadata.pathwise.educationalRights", "true")
            if rights.lower() == "true":
                children_of[agent].append(sid)
    district.sections_of = {t: sorted(s) for t, s in sections_of.items()}
    district.students_in = {s: sorted(k) for s, k in students_in.items()}
    district.children_of = {g: sorted(k) for g, k in children_of.items()}
    return district


def _is_stuck(n: int) -> bool:
    return n % 4 == 3


def _results(student: str, n: int, competencies: list[str]) -> list[dict[str, Any]]:
    """A few results per competency, mostly right; every fourth student is stuck instead:
    wrong again and again on the first step, which opens a support alert (stalled)."""
    rng = random.Random(f"{SEED}/{student}")
    stuck = _is_stuck(n)
    if stuck:
        out = simulation.answers(n, competencies[:1], STUCK_ATTEMPTS, rng)
    else:
        out = simulation.answers(n, competencies, ATTEMPTS, rng)
    for result in out:
        result["student_id"] = student
        result["source_id"] = result["source_id"].replace(simulation.student_id(n), student)
        if stuck:
            result["score"] = 0.0
    return out


async def load(platform: _Platform) -> District:
    """Import the roster, post results, and wait until every service has applied them."""
    import pathwise_devstack.sample_district as sample_district

    files = sample_district.generate(STUDENTS, SEED, PREFIX)
    district = who_is_who(files)
    admin = {"Authorization": f"Bearer {platform.token('admin')}"}
    service = {"Authorization": f"Bearer {platform.token('service')}"}
    async with httpx.AsyncClient(timeout=120) as client:
        imported = await client.post(
            f"{platform.url('profile-svc')}/v1/rosters/oneroster",
            content=sample_district.to_zip(files),
            headers={**admin, "Content-Type": "application/zip"},
        )
        imported.raise_for_status()
        framework = await client.get(f"{platform.url('path-svc')}/v1/framework", headers=service)
        framework.raise_for_status()
        district.competencies = simulation.learning_order(framework.json())[:COMPETENCIES]
        students = sorted({s for kids in district.students_in.values() for s in kids})
        district.stuck = [s for n, s in enumerate(students) if _is_stuck(n)]
        results = [r for n, s in enumerate(students) for r in _results(s, n, district.competencies)]
        traffic = simulation.Traffic()
        client.headers.update(service)
        await simulation.stream(
            client, platform.url("assessment-svc"), results, traffic, rate=2_000
        )
        if traffic.rejected:
            raise RuntimeError(f"assessment results refused: {traffic.rejected[:3]}")
    await platform.wait_caught_up(timeout=120, settle=0.5)
    return district


@dataclass
class Portal:
    """The running platform, the portal's address and the demo district's people."""

    platform: Platform
    url: str
    district: District

    def service_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.platform.token('service')}"}
