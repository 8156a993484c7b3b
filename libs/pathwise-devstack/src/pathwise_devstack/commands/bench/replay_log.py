"""The synthetic log a replay row reads: real contract events, seeded, generated lazily.

Each service's mix (``replay_mixes``) is a roster phase (every student enrolled
first, as a district's start-of-year sync does) followed by a steady phase of
weighted event makers. Messages are produced as they are generated, so a
million of them never sit in memory at once.

No personal data: students, guardians and teachers are opaque ids, identity
digests are hashes of those ids, and the sealed fields carry random bytes in the
`EncryptedValue` shape, which the projections store without opening.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from pathwise_contracts import EncryptedValue, Envelope, Event

SEED = 20_261_207
STUDENTS = 10_000
EVENTS_PER_STUDENT = 20  # a small run still has a few events per student
DISTRICTS = ("d1", "d2", "d3")
START = datetime(2026, 8, 24, 7, tzinfo=UTC)
SPACING = timedelta(seconds=3)  # ~a school year of 1,000,000 events

Message = tuple[str, bytes, bytes]
"""(topic, key, value) as the service's log holds it."""


@dataclass(frozen=True, slots=True)
class Student:
    """One synthetic student and the ids other services know them by."""

    id: str
    district: str
    identity: str  # the keyed digest results name them by (a hash here)
    guardians: tuple[str, ...]
    teachers: tuple[str, ...]


@dataclass
class Log:
    """The seeded source of ids, times and envelopes for one mix."""

    rng: random.Random
    competencies: tuple[str, ...]
    count: int = 0
    versions: dict[str, int] = field(default_factory=dict)
    recent: dict[str, UUID] = field(default_factory=dict)  # last assessment per student

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    def now(self) -> datetime:
        return START + SPACING * self.count

    def competency(self) -> str:
        return self.rng.choice(self.competencies)

    def version(self, student: Student) -> int:
        """The student's profile stream version after one more event (enrolment is 1)."""
        self.versions[student.id] = self.versions.get(student.id, 1) + 1
        return self.versions[student.id]

    def sealed(self, size: int = 48) -> EncryptedValue:
        """Random bytes in a sealed value's shape: stored as is, never opened by a projection."""
        return EncryptedValue(
            kid="bench-k1",
            alg="A256GCM",
            nonce=_b64url(self.rng.randbytes(12)),
            ct=_b64url(self.rng.randbytes(size + 16)),
        )

    def wrap(
        self,
        event: Event,
        topic: str,
        district: str,
        *,
        id: UUID | None = None,
        source: str = "urn:pathwise:bench",
    ) -> Message:
        envelope = Envelope.wrap(
            event, id=id or self.uuid(), source=source, district_id=district, time=self.now()
        )
        self.count += 1
        return topic, event.student_id.encode(), envelope.to_bytes()


Maker = Callable[[Log, Student], list[Message]]
"""Messages of one occurrence (one or a few events) about one student."""


@dataclass(frozen=True)
class Mix:
    """A service's log: who is rostered how, then the weighted steady traffic."""

    roster: Maker
    steady: Sequence[tuple[float, Maker]]
    about: str  # one line for the report


def students_for(events: int, rng: random.Random) -> list[Student]:
    count = max(1, min(STUDENTS, events // EVENTS_PER_STUDENT))
    out = []
    for n in range(count):
        sid = f"s{n:05d}"
        guardians = tuple(f"g{n:05d}-{k}" for k in range(1 + (rng.random() < 0.4)))
        out.append(
            Student(
                id=sid,
                district=DISTRICTS[n % len(DISTRICTS)],
                identity=hashlib.sha256(f"bench-identity:{sid}".encode()).hexdigest(),
                guardians=guardians,
                teachers=(f"t{n % 400:03d}",),
            )
        )
    return out


def messages(
    mix: Mix, events: int, competencies: Sequence[str], seed: int = SEED
) -> Iterator[Message]:
    """Exactly ``events`` messages of ``mix``, the same ones for the same seed."""
    rng = random.Random(seed)
    log = Log(rng, tuple(competencies))
    students = students_for(events, rng)
    emitted = 0
    for student in students:
        for message in mix.roster(log, student):
            if emitted == events:
                return
            yield message
            emitted += 1
    makers = [m for _, m in mix.steady]
    weights = [w for w, _ in mix.steady]
    while emitted < events:
        maker = rng.choices(makers, weights)[0]
        for message in maker(log, rng.choice(students)):
            if emitted == events:
                return
            yield message
            emitted += 1


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
