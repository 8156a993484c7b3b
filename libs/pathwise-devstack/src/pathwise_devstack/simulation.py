"""Simulated district traffic for the demo and the end-to-end tests.

Students with guardians are enrolled through profile-svc, then assessment
results are posted to assessment-svc the way an LMS would: a few attempts per
competency, mostly right, in prerequisite order, at a steady rate.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

SOURCE = "demo-lms"


@dataclass
class Traffic:
    """What was sent, and when each assessment was accepted (for latency)."""

    enrolled: int = 0
    guardians: int = 0
    posted: int = 0
    accepted_at: dict[str, float] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)


def student_id(n: int) -> str:
    return f"stu-{n:05d}"


def enrollment(n: int, rng: random.Random) -> dict[str, Any]:
    """A student with one or two guardians; about one in ten has not consented to email,
    about three in ten have consented to text messages."""
    guardians = [
        {
            "guardian_id": f"gdn-{n:05d}-{g}",
            "relationship": "parent" if g == 1 else "guardian",
            "educational_rights": True,
            "email": f"family{n:05d}.{g}@families.example",
            "phone": f"+1555{n % 10_000:04d}{g:03d}",
            "language": rng.choice(["en", "en", "en", "es", "zh-Hans", "vi", "ar"]),
            "consent": {"email": rng.random() > 0.1, "sms": rng.random() < 0.3},
        }
        for g in range(1, (3 if rng.random() < 0.3 else 2))
    ]
    return {
        "student_id": student_id(n),
        "school_id": f"sch-{n % 3 + 1}",
        "grade": "3",
        "section_ids": [f"sec-3{n % 4 + 1}"],
        "display_name": display_name(n),
        "external_ids": {
            "sis": f"SIS-{n:07d}",
            "xapi_mbox": f"mailto:{student_id(n)}@students.example",
        },
        "guardians": guardians,
    }


_FIRST = ("Amara", "Bao", "Catalina", "Dmitri", "Esi", "Farid", "Greta", "Hiroshi", "Ines")
_LAST = ("Okafor", "Nguyen", "Rosales", "Ivanova", "Mensah", "Haddad", "Lindqvist", "Sato")


def display_name(n: int) -> str:
    """A name no other text on the platform holds (the number makes it one person's)."""
    return f"{_FIRST[n % len(_FIRST)]} {_LAST[n // len(_FIRST) % len(_LAST)]}-{n:05d}"


def answers(
    n: int, competencies: Sequence[str], per_competency: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One student's results: mostly correct, so most competencies get mastered."""
    skill = rng.uniform(0.7, 0.95)
    start = datetime(2026, 9, 7, 9, tzinfo=UTC) + timedelta(minutes=n)
    out = []
    for c_index, competency in enumerate(competencies):
        for attempt in range(per_competency):
            k = c_index * per_competency + attempt
            out.append(
                {
                    "student_id": student_id(n),
                    "competency_id": competency,
                    "score": 1.0 if rng.random() < skill else 0.0,
                    "max_score": 1.0,
                    "occurred_at": (start + timedelta(hours=k)).isoformat(),
                    "source": SOURCE,
                    "source_id": f"{student_id(n)}/{competency}/{attempt}",
                }
            )
    return out


async def enroll(
    client: httpx.AsyncClient, profile_url: str, students: int, seed: int = 1, first: int = 0
) -> Traffic:
    """Enrol students ``first`` .. ``first + students - 1`` (a later run, new students)."""
    rng = random.Random(seed)
    traffic = Traffic()
    bodies = [enrollment(n, rng) for n in range(first, first + students)]
    sem = asyncio.Semaphore(16)

    async def one(body: dict[str, Any]) -> None:
        async with sem:
            r = await client.post(f"{profile_url}/v1/students", json=body)
        if r.status_code not in (200, 201):
            raise RuntimeError(f"enrolment refused: {r.status_code} {r.text}")
        traffic.enrolled += 1
        traffic.guardians += len(body["guardians"])

    await asyncio.gather(*(one(b) for b in bodies))
    return traffic


async def stream(
    client: httpx.AsyncClient,
    assessment_url: str,
    results: Sequence[dict[str, Any]],
    traffic: Traffic,
    *,
    rate: float,
    progress: Callable[[int], None] = lambda _: None,
    stop_after_s: float | None = None,
) -> None:
    """POST results at ``rate`` per second (open loop), recording acceptance times;
    after ``stop_after_s`` the results not yet sent are left unsent."""
    sem = asyncio.Semaphore(64)
    started = time.monotonic()

    async def one(i: int, body: dict[str, Any]) -> None:
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        async with sem:
            if stop_after_s is not None and time.monotonic() - started > stop_after_s:
                return
            sent = time.time()
            r = await client.post(f"{assessment_url}/v1/assessments", json=body)
        if r.status_code in (200, 201):
            traffic.accepted_at.setdefault(r.json()["assessment_id"], sent)
        else:
            traffic.rejected.append(f"{r.status_code} {r.text[:200]}")
        traffic.posted += 1
        progress(1)

    await asyncio.gather(*(one(i, b) for i, b in enumerate(results)))


def latencies_ms(traffic: Traffic, mails: Sequence[dict[str, Any]]) -> list[float]:
    """From HTTP acceptance of the evidence to the family's email arriving."""
    out = []
    for mail in mails:
        headers = {k.lower(): v for k, v in mail.get("headers", {}).items()}
        evidence = headers.get("x-pathwise-evidence-id")
        if evidence in traffic.accepted_at:
            received = datetime.fromisoformat(mail["received_at"]).timestamp()
            out.append((received - traffic.accepted_at[evidence]) * 1000)
    return sorted(out)


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return round(values[index], 1)


def learning_order(framework: dict[str, Any]) -> list[str]:
    """Competency codes in an order that respects prerequisites (stable topological sort)."""
    items = framework["competencies"]
    prereqs = {c["code"]: list(c.get("prerequisites", [])) for c in items}
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(prereqs):
        ready = [c for c in prereqs if c not in placed and all(p in placed for p in prereqs[c])]
        if not ready:
            raise ValueError("the framework's prerequisites contain a cycle")
        order.append(ready[0])
        placed.add(ready[0])
    return order
