"""A batch's learner events go as grouped, pipelined statements: the tables must end up
exactly as when every event is applied on its own, in log order, whatever the mix."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from pathwise_contracts import (
    Channel,
    ConsentChanged,
    ContactPreferencesChanged,
    EncryptedValue,
    EnrollmentChanged,
    Envelope,
    Event,
    GoalSet,
    GuardianLinked,
    GuardianUnlinked,
    InterestsChanged,
    ReflectionRecorded,
    StrengthsAndNeedsChanged,
    StudentEnrolled,
    StudentWithdrawn,
    SubjectErased,
    derive_event_id,
)
from pathwise_runtime import migrations
from pathwise_runtime.projection import Delivered
from profile_svc.main import SPEC
from profile_svc.projections.learner_rows import TABLES
from profile_svc.projections.profiles import ProfilesProjection

pytestmark = pytest.mark.integration

T0 = datetime(2026, 9, 1, tzinfo=UTC)
SEALED = EncryptedValue(kid="dek:" + "0" * 32, alg="A256GCM", nonce="A" * 16, ct="A" * 24)


def _event(rng: random.Random, version: int) -> Event:
    s, g = rng.choice(["s1", "s2", "s3"]), rng.choice(["g1", "g2"])
    words = rng.sample(["art", "maths", "music", "sport", "reading"], rng.randint(0, 3))
    choices: list[Callable[[], Event]] = [
        lambda: StudentEnrolled(student_id=s, district_id="d1", section_ids=words),
        lambda: GuardianLinked(
            student_id=s,
            guardian_id=g,
            relationship="mother",
            educational_rights=True,
            consent={Channel.EMAIL: rng.random() < 0.5},
        ),
        lambda: ContactPreferencesChanged(
            student_id=s, guardian_id=g, language=rng.choice(["en", "es"]), consent={}
        ),
        lambda: InterestsChanged(student_id=s, version=version, interests=words),
        lambda: StrengthsAndNeedsChanged(
            student_id=s, version=version, strengths=words, needs=words[:1]
        ),
        lambda: EnrollmentChanged(student_id=s, version=version, section_ids=words),
        lambda: GoalSet(
            student_id=s,
            version=version,
            goal_id=rng.choice(["goal-1", "goal-2"]),
            competency_ids=words,
            status=rng.choice(["active", "achieved"]),
            agreed_by=["student"],
        ),
        lambda: ReflectionRecorded(
            student_id=s, version=version, reflection_id=rng.choice(["r1", "r2"]), text=SEALED
        ),
        lambda: ConsentChanged(
            student_id=s,
            version=version,
            guardian_id=g,
            channel=Channel.SMS,
            granted=rng.random() < 0.5,
            source="portal",
            given_at=T0,
        ),
        lambda: StudentWithdrawn(
            student_id=s, version=version, withdrawn_on=date(2026, 10, 1), reason="transferred"
        ),
        lambda: GuardianUnlinked(student_id=s, version=version, guardian_id=g, reason="roster"),
        lambda: SubjectErased(
            student_id=s,
            version=version,
            subject_id=rng.choice([s, g]),
            kind=rng.choice(["student", "guardian"]),
            erased_at=T0,
        ),
    ]
    weights = [3, 3, 2, 4, 3, 3, 3, 2, 3, 1, 1, 1]
    return rng.choices(choices, weights)[0]()


def _log(seed: int, length: int = 80) -> list[Delivered]:
    rng = random.Random(seed)
    out = []
    for n in range(length):
        event = _event(rng, version=rng.randint(2, 40))
        envelope = Envelope.wrap(
            event,
            id=derive_event_id("learner-runs", str(seed), str(n)),
            source="urn:pathwise:test",
            district_id="d1",
            time=T0 + timedelta(minutes=n),
        )
        out.append(Delivered(envelope, event, "profile.events.v1", 0, n))
    return out


async def _tables(conn: asyncpg.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        t: sorted((tuple(r) for r in await conn.fetch(f"SELECT * FROM {t}")), key=repr)
        for t in TABLES
    }


async def test_one_batch_ends_as_one_event_at_a_time(database: Callable[[], str]) -> None:
    every = migrations.runtime_migrations() + migrations.folder_migrations(SPEC.migrations)
    alone, batched = await asyncpg.connect(database()), await asyncpg.connect(database())
    projection = ProfilesProjection()
    try:
        for conn in (alone, batched):
            await migrations.migrate(conn, every)
        for seed in range(12):
            log = _log(seed)
            for conn in (alone, batched):
                await conn.execute(f"TRUNCATE {', '.join(TABLES)}")
            for item in log:
                async with alone.transaction():
                    await projection.apply(alone, [item])
            async with batched.transaction():
                await projection.apply(batched, log)
            expected = await _tables(alone)
            assert sum(map(len, expected.values())) > 0
            assert await _tables(batched) == expected, f"seed {seed}"
    finally:
        await alone.close()
        await batched.close()
