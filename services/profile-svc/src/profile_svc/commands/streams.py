"""Command side: each student is one stream of events, written through the outbox.

A command locks the student's stream row, checks who is asking and the
``If-Match`` version, decides its events from the stored state, and in the
same transaction bumps the version, stores the new state and queues the
events. So a write is either fully accepted (and will be published) or not at
all, and two concurrent writers cannot both win with the same version.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import asyncpg

from pathwise_contracts import (
    EnrollmentChanged,
    Envelope,
    Event,
    StudentEnrolled,
    SubjectErased,
    derive_event_id,
)
from pathwise_runtime import outbox
from profile_svc.adapters.personal import PersonalData, Vault
from profile_svc.commands import teaching
from profile_svc.domain.access import StudentFacts, Viewer
from profile_svc.domain.enrollment import Enrollment
from profile_svc.domain.stream import StreamState, evolve


class Outcome(StrEnum):
    ENROLLED = "enrolled"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    ERASED = "erased"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    version: int


class NotFound(Exception):
    """No such student for this caller (or erased): answered as 404 either way."""


class Stale(Exception):
    """The caller's ``If-Match`` is not the stream's version."""

    def __init__(self, version: int) -> None:
        super().__init__(f"the student is at version {version}")
        self.version = version


@dataclass(frozen=True, slots=True)
class Stream:
    student_id: str
    district: str
    version: int
    state: StreamState

    @property
    def facts(self) -> StudentFacts:
        return StudentFacts(
            student_id=self.student_id,
            district=self.district,
            section_ids=frozenset(self.state.section_ids),
            guardian_rights={g: v.educational_rights for g, v in self.state.guardians.items()},
        )


Decide = Callable[[Stream, int, Vault], Sequence[Event]]
"""The events of a command, given the stream, its next version and the keys."""

May = Callable[[Viewer, StudentFacts], bool]


class ErasedGuardian(Exception):
    """A guardian named in a command was erased in this district; they stay erased."""

    def __init__(self, guardian_id: str) -> None:
        super().__init__(f"guardian {guardian_id!r} was erased and cannot be linked again")
        self.guardian_id = guardian_id


async def lone_guardians(
    conn: asyncpg.Connection, district: str, student_id: str, guardians: list[str]
) -> list[str]:
    """The ``guardians`` of ``student_id`` linked to no other student of the district."""
    rows = await conn.fetch(
        """SELECT g FROM unnest($3::text[]) AS g
            WHERE NOT EXISTS (SELECT 1 FROM student_streams s
                               WHERE s.district_id = $1 AND s.student_id <> $2
                                 AND s.state -> 'guardians' ? g)""",
        district,
        student_id,
        sorted(guardians),
    )
    return [r["g"] for r in rows]


async def erased_guardians(
    conn: asyncpg.Connection, district: str, guardians: Iterable[str]
) -> set[str]:
    rows = await conn.fetch(
        """SELECT guardian_id FROM erased_guardians
            WHERE district_id = $1 AND guardian_id = ANY($2::text[])""",
        district,
        sorted(set(guardians)),
    )
    return {r["guardian_id"] for r in rows}


async def enroll(
    pool: asyncpg.Pool,
    enrollment: Enrollment,
    *,
    district: str,
    personal: PersonalData,
    source: str,
) -> Result:
    """Start the student's stream; a repeat is unchanged, other data a conflict.

    Raises ``ErasedGuardian`` when a new student names a guardian erased in the district.
    """
    fingerprint = enrollment.fingerprint(district, personal.digest_key)
    async with pool.acquire() as conn, conn.transaction():
        # Concurrent repeats wait on the primary key here, then see the winner's row.
        version = await conn.fetchval(
            """INSERT INTO student_streams (student_id, district_id, version, fingerprint)
               VALUES ($1, $2, 1, $3) ON CONFLICT (district_id, student_id) DO NOTHING
               RETURNING version""",
            enrollment.student_id,
            district,
            fingerprint,
        )
        if version is None:
            row = await conn.fetchrow(
                """SELECT version, fingerprint, state->>'status' AS status FROM student_streams
                    WHERE district_id = $1 AND student_id = $2""",
                district,
                enrollment.student_id,
            )
            if row["status"] == "erased":
                return Result(Outcome.ERASED, row["version"])
            same = row["fingerprint"] == fingerprint
            return Result(Outcome.UNCHANGED if same else Outcome.CONFLICT, row["version"])
        guardians = [g.guardian_id for g in enrollment.guardians]
        erased = await erased_guardians(conn, district, guardians)
        if erased:  # the new stream's row goes with the transaction
            raise ErasedGuardian(min(erased))
        vault = await personal.vault(
            conn, district, students=[enrollment.student_id], guardians=guardians
        )
        events = enrollment.events(
            district, vault.seal_student, vault.seal_guardian, vault.identities
        )
        state = evolve(StreamState(), [e for _, e in events])
        await conn.execute(
            """UPDATE student_streams SET state = $3::jsonb
                WHERE district_id = $1 AND student_id = $2""",
            district,
            enrollment.student_id,
            state.model_dump_json(),
        )
        now = datetime.now(UTC)
        await outbox.add_events(
            conn,
            [
                Envelope.wrap(event, id=event_id, source=source, district_id=district, time=now)
                for event_id, event in events
            ],
        )
        await teaching.refresh(conn, district, [enrollment.student_id], source=source)
    return Result(Outcome.ENROLLED, version)


async def append(
    pool: asyncpg.Pool,
    student_id: str,
    *,
    viewer: Viewer,
    may: May,
    expected: int | None,
    decide: Decide,
    personal: PersonalData,
    source: str,
    guardians: Iterable[str] = (),
    then: Callable[[asyncpg.Connection, Stream], Awaitable[None]] | None = None,
) -> int:
    """Run one command on the student's stream; returns the new version (the ETag).

    The stream is the one of the caller's district: another district's student
    of the same id is another stream. Raises ``NotFound`` when the caller may
    not see the student (or it is erased) and ``Stale`` on a version mismatch.
    The vault holds the student's key and those of ``guardians`` (the guardians
    whose contacts the command seals or compares). ``then`` runs in the same
    transaction after the events are queued (erasure destroys keys there).
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT district_id, version, state FROM student_streams
                WHERE district_id = $1 AND student_id = $2 FOR UPDATE""",
            viewer.district,
            student_id,
        )
        if row is None:
            raise NotFound(student_id)
        stream = _stream(student_id, row)
        _check(stream, viewer, may, expected)
        version = stream.version + 1
        vault = await personal.vault(
            conn, stream.district, students=[student_id], guardians=guardians
        )
        events = decide(stream, version, vault)
        if not events:
            return stream.version
        await _write(conn, stream, version, events, source)
        if then is not None:
            await then(conn, stream)
    return version


async def erase_guardian(
    pool: asyncpg.Pool,
    student_id: str,
    guardian_id: str,
    *,
    viewer: Viewer,
    may: May,
    expected: int | None,
    personal: PersonalData,
    source: str,
) -> int:
    """Erase a guardian as a person: every link in the district, then their key.

    The key is one per guardian, shared by all their links, so destroying it
    makes their contact details unreadable on every student's stream; each of
    those streams therefore gets its own ``SubjectErased`` (kind guardian), and
    every consumer drops each link. Access and ``If-Match`` are checked on the
    student named in the request (the guardian must be linked to them, else
    ``NotFound``); the other streams are locked in id order, like any two
    erasures would, so concurrent ones cannot deadlock. Returns the named
    student's new version.
    """
    async with pool.acquire() as conn, conn.transaction():
        district = viewer.district
        rows = await conn.fetch(
            """SELECT student_id, district_id, version, state FROM student_streams
                WHERE district_id = $1 AND (student_id = $2 OR state->'guardians' ? $3)
                ORDER BY student_id FOR UPDATE""",
            district,
            student_id,
            guardian_id,
        )
        streams = [_stream(r["student_id"], r) for r in rows]
        named = next((s for s in streams if s.student_id == student_id), None)
        if named is None:
            raise NotFound(student_id)
        _check(named, viewer, may, expected)
        if guardian_id not in named.state.guardians:
            raise NotFound(student_id)
        erased_at = datetime.now(UTC)
        for stream in streams:
            if guardian_id not in stream.state.guardians:
                continue
            erased = SubjectErased(
                student_id=stream.student_id,
                version=stream.version + 1,
                subject_id=guardian_id,
                kind="guardian",
                erased_at=erased_at,
            )
            await _write(conn, stream, stream.version + 1, [erased], source)
        await personal.keystore.destroy(conn, district, "guardian", [guardian_id])
        await conn.execute(
            """INSERT INTO erased_guardians (district_id, guardian_id, erased_at)
               VALUES ($1, $2, $3) ON CONFLICT DO NOTHING""",
            district,
            guardian_id,
            erased_at,
        )
    return named.version + 1


def _stream(student_id: str, row: asyncpg.Record) -> Stream:
    return Stream(
        student_id,
        row["district_id"],
        row["version"],
        StreamState.model_validate_json(row["state"]),
    )


def _check(stream: Stream, viewer: Viewer, may: May, expected: int | None) -> None:
    if stream.state.status == "erased" or not may(viewer, stream.facts):
        raise NotFound(stream.student_id)
    if expected is not None and expected != stream.version:
        raise Stale(stream.version)


async def _write(
    conn: asyncpg.Connection, stream: Stream, version: int, events: Sequence[Event], source: str
) -> None:
    """Store the new version and state, and queue the events (derived ids: retries dedupe)."""
    state = evolve(stream.state, events)
    await conn.execute(
        """UPDATE student_streams SET version = $3, state = $4::jsonb
            WHERE district_id = $1 AND student_id = $2""",
        stream.district,
        stream.student_id,
        version,
        state.model_dump_json(),
    )
    now = datetime.now(UTC)
    await outbox.add_events(
        conn,
        [
            Envelope.wrap(
                event,
                id=derive_event_id(
                    "profile", stream.district, stream.student_id, str(version), str(n)
                ),
                source=source,
                district_id=stream.district,
                time=now,
            )
            for n, event in enumerate(events)
        ],
    )
    # The student's sections decide their teachers; an erasure forgets what was published.
    if any(isinstance(e, StudentEnrolled | EnrollmentChanged | SubjectErased) for e in events):
        await teaching.refresh(conn, stream.district, [stream.student_id], source=source)
