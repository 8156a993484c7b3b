"""The pytest fixtures every service's own tests share, made once for a service.

A service's ``conftest.py`` names them by assignment, so each suite keeps the
same vocabulary (``auth``, ``offline_client``, ``service``, ``published``,
``wait_until``) without writing them again::

    auth, offline_client, service, published, wait_until = service_fixtures(SPEC, TOPIC)
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

from pathwise_contracts import (
    PROFILE_EVENTS,
    Envelope,
    Event,
    GuardianLinked,
    StudentEnrolled,
    TeachersAssigned,
    Topic,
)
from pathwise_contracts.events.profile import AssignedTeacher
from pathwise_devstack import inprocess
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.inprocess import Running
from pathwise_devstack.stack import Infrastructure
from pathwise_runtime.access import AccessProjection
from pathwise_runtime.projection import Delivered
from pathwise_runtime.service import ServiceSpec

SECRET = "x" * 32


def bearer(role: str = "teacher", district: str = "d1", sub: str | None = None) -> dict[str, str]:
    """Headers with a dev token (signed with ``SECRET``) for a role, district and subject."""
    token = mint_token(SECRET, role=role, district=district, sub=sub)
    return {"Authorization": f"Bearer {token}"}


def callers_of(student: str) -> dict[str, tuple[str, str, str]]:
    """(role, district, subject) of everyone an isolation test tries against ``student``.

    The student is rostered in d1, taught by ``t-ada``, with guardian ``g-ada``
    (educational rights) and ``g-step`` (none); see ``rostered``.
    """
    return {
        "admin": ("admin", "d1", "a-1"),
        "admin of d2": ("admin", "d2", "a-2"),
        "her teacher": ("teacher", "d1", "t-ada"),
        "another section's teacher": ("teacher", "d1", "t-bob"),
        "her teacher's namesake in d2": ("teacher", "d2", "t-ada"),
        "her guardian": ("guardian", "d1", "g-ada"),
        "guardian without rights": ("guardian", "d1", "g-step"),
        "another family's guardian": ("guardian", "d1", "g-bob"),
        "the student": ("student", "d1", student),
        "another student": ("student", "d1", "bob"),
        "a service": ("service", "d1", "lms"),
        "a service of d2": ("service", "d2", "lms"),
    }


async def rostered(
    running: Running,
    student: str,
    *,
    district: str = "d1",
    teachers: Sequence[str] = ("dev-teacher",),
    guardians: Sequence[str] = (),
) -> None:
    """Give the service's ``access`` table the student's roster, as profile-svc's log would.

    For a service's own tests, which run without profile-svc: the default
    teacher is the subject ``bearer("teacher")`` signs as.
    """
    events: list[Event] = [
        StudentEnrolled(student_id=student, district_id=district),
        TeachersAssigned(
            student_id=student, teachers=[AssignedTeacher(teacher_id=t) for t in teachers]
        ),
        *(
            GuardianLinked(
                student_id=student,
                guardian_id=g,
                relationship="guardian",
                educational_rights=True,
                consent={},
            )
            for g in guardians
        ),
    ]
    now = datetime.now(UTC)
    batch = [
        Delivered(
            Envelope.wrap(
                e, id=uuid.uuid4(), source="urn:pathwise:test", district_id=district, time=now
            ),
            e,
            PROFILE_EVENTS.name,
            0,
            n,
        )
        for n, e in enumerate(events)
    ]
    async with running.runtime.pool.acquire() as conn, conn.transaction():
        await AccessProjection().apply(conn, batch)


def service_fixtures(spec: ServiceSpec, topic: Topic) -> tuple[Any, ...]:
    """``auth``, ``offline_client``, ``service``, ``published`` and ``wait_until`` for ``spec``."""

    @pytest.fixture
    def auth() -> Callable[..., dict[str, str]]:
        """Headers with a dev token for a role, district and (optionally) subject."""
        return bearer

    @pytest.fixture
    def offline_client() -> httpx.AsyncClient:
        """The app without its lifespan: enough for auth and validation, which answer first."""
        return inprocess.offline_client(spec, SECRET)

    @pytest.fixture
    async def service(database: Callable[[], str], kafka_bootstrap: str) -> AsyncIterator[Running]:
        """The whole service in-process on a fresh database, with its own consumer group."""
        async with inprocess.running(spec, database(), kafka_bootstrap, secret=SECRET) as run:
            yield run

    @pytest.fixture
    def published(kafka_bootstrap: str) -> Callable[[UUID], Awaitable[list[Envelope]]]:
        """Reads the service's topic for the messages of one event id."""
        return lambda event_id: inprocess.published(kafka_bootstrap, topic, event_id)

    @pytest.fixture
    def wait_until() -> Callable[..., Awaitable[None]]:
        """Polls an async predicate until it holds (or fails the test after ~20 s)."""
        return inprocess.eventually

    return auth, offline_client, service, published, wait_until


def shared_service(spec: ServiceSpec) -> Any:
    """A module-wide ``service`` for ``spec``: one start (migrations, consumer groups)
    for every test of a module whose tests each use subjects of their own::

        service = shared_service(SPEC)
    """

    @pytest.fixture(scope="module")
    async def service(
        module_database: str, infrastructure: Infrastructure
    ) -> AsyncIterator[Running]:
        bootstrap = infrastructure.bootstrap_servers
        async with inprocess.running(spec, module_database, bootstrap, secret=SECRET) as run:
            yield run

    return service
