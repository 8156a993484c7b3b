"""Fixtures and builders for notify-svc's tests: migrated databases and a hand-made log.

Records are built by hand (not produced to the broker) so a test controls
exactly how the profile and path topics interleave. The builders reach tests
through the ``support`` fixture: every service has a ``tests`` folder, so a
shared ``tests.support`` module name would clash when the suites run together.
"""

from __future__ import annotations

import itertools
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from notify_svc.adapters import sms
from notify_svc.adapters.mail import SmtpConnections
from pathwise_contracts import (
    Channel,
    CompetencyMastered,
    ContactPreferencesChanged,
    Envelope,
    Event,
    Frequency,
    GuardianLinked,
    MasteryUpdated,
    Modality,
    PathReplanned,
    PathStep,
    QuietHours,
    SubjectErased,
    SupportNeeded,
)
from pathwise_devstack.inprocess import record_of
from pathwise_devstack.stack import run_coroutine_sync
from pathwise_runtime.pii import Keyring
from pathwise_runtime.service import open_pool, prepare_database

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
HOUR = timedelta(hours=1)
KEYRING = Keyring(b"k" * 32, legacy=True)
T0 = datetime(2026, 9, 14, 15, 0, tzinfo=UTC)
DISTRICT = "d1"


class Log:
    """Builds consumer records with increasing offsets per (topic, partition)."""

    def __init__(self) -> None:
        self._offsets: dict[tuple[str, int], itertools.count[int]] = {}

    def record(
        self, event: Event, *, time: datetime, id: uuid.UUID | None = None, partition: int = 0
    ) -> ConsumerRecord[bytes, bytes]:
        envelope = Envelope.wrap(
            event,
            id=id or uuid.uuid4(),
            source="urn:pathwise:test",
            district_id=DISTRICT,
            time=time,
        )
        return self.wrap(envelope, partition=partition)

    def wrap(self, envelope: Envelope, *, partition: int = 0) -> ConsumerRecord[bytes, bytes]:
        topic = envelope.event().topic
        offsets = self._offsets.setdefault((topic, partition), itertools.count())
        return record_of(envelope, next(offsets), partition)


def linked(
    student: str,
    guardian: str,
    *,
    email: str | None = "guardian@example.org",
    consent: bool = True,
    rights: bool = True,
    language: str = "en",
) -> GuardianLinked:
    return GuardianLinked(
        student_id=student,
        guardian_id=guardian,
        relationship="mother",
        educational_rights=rights,
        language=language,
        email=KEYRING.encrypt(guardian, email) if email else None,
        consent={Channel.EMAIL: consent},
    )


def preferences(student: str, guardian: str, *, consent: bool) -> ContactPreferencesChanged:
    return ContactPreferencesChanged(
        student_id=student,
        guardian_id=guardian,
        language="en",
        email=KEYRING.encrypt(guardian, "guardian@example.org"),
        consent={Channel.EMAIL: consent},
    )


def scheduled(
    student: str,
    guardian: str,
    *,
    language: str = "en",
    time_zone: str | None = None,
    quiet: tuple[str, str] | None = None,
    frequency: str | None = None,
) -> ContactPreferencesChanged:
    """Consenting email guardian with schedule preferences."""
    return ContactPreferencesChanged(
        student_id=student,
        guardian_id=guardian,
        language=language,
        email=KEYRING.encrypt(guardian, f"{guardian}@example.org"),
        consent={Channel.EMAIL: True},
        time_zone=time_zone,
        quiet_hours=QuietHours.model_validate({"start": quiet[0], "end": quiet[1]})
        if quiet
        else None,
        frequency={Channel.EMAIL: Frequency(frequency)} if frequency else None,
    )


def replanned(student: str, version: int, tutoring: list[str], others: list[str]) -> PathReplanned:
    steps = [
        PathStep(competency_id=c, modality=Modality.ONE_ON_ONE_TUTORING, reason="stuck")
        for c in tutoring
    ] + [
        PathStep(competency_id=c, modality=Modality.SMALL_GROUP_PROJECT, reason="ok")
        for c in others
    ]
    return PathReplanned(
        student_id=student,
        version=version,
        steps=steps,
        added=[],
        removed=[],
        reason="evidence",
        cause_event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/replan/{version}"),
    )


def support_needed(student: str, competency: str = "4.NF.A.1") -> SupportNeeded:
    return SupportNeeded(
        student_id=student,
        competency_id=competency,
        reason="stalled",
        detail="no progress after several attempts",
        cause_event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/support/{competency}"),
    )


def mastery_updated(student: str, competency: str = "3.OA.A.1") -> MasteryUpdated:
    return MasteryUpdated(
        student_id=student,
        competency_id=competency,
        p_mastery=0.5,
        previous=0.4,
        evidence_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/{competency}/update"),
    )


def erased(student: str) -> SubjectErased:
    return SubjectErased(
        student_id=student, version=3, subject_id=student, kind="student", erased_at=T0
    )


def mastered(student: str, competency: str = "3.OA.A.1") -> CompetencyMastered:
    return CompetencyMastered(
        student_id=student,
        competency_id=competency,
        p_mastery=0.97,
        evidence_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{student}/{competency}"),
    )


def cause_id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"cause/{name}")


@pytest.fixture
def migrated(database: Callable[[], str]) -> Callable[[], str]:
    """Factory: a fresh database with notify-svc's tables."""

    def create() -> str:
        dsn = database()
        run_coroutine_sync(lambda: prepare_database(dsn, MIGRATIONS))
        return dsn

    return create


@pytest.fixture
async def pool(migrated: Callable[[], str]) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    dsn = migrated()
    pool = await open_pool(dsn, min_size=1, max_size=6)
    try:
        yield dsn, pool
    finally:
        await pool.close()


@pytest.fixture(autouse=True)
async def _kept_connections_closed(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Tests drive Senders and SMS adapters without closing them: close the SMTP and HTTP
    connections they kept open for the next message."""
    made: list[SmtpConnections | sms._Client] = []
    for kind in (SmtpConnections, sms._Client):
        monkeypatch.setattr(kind, "__init__", _tracked(kind.__init__, made))
    yield
    for kept in made:
        await kept.aclose()


def _tracked(init: Callable[..., None], made: list[Any]) -> Callable[..., None]:
    def tracked(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(self)

    return tracked


@pytest.fixture
def log() -> Log:
    return Log()


@pytest.fixture
def support() -> ModuleType:
    """This module: the event builders and constants above."""
    return sys.modules[__name__]
