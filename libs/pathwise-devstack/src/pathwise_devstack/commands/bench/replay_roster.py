"""The roster and learner-profile events of profile.events.v1, as profile-svc writes them."""

from __future__ import annotations

from pathwise_contracts import (
    PROFILE_EVENTS,
    ConsentChanged,
    ContactPreferencesChanged,
    EnrollmentChanged,
    GoalSet,
    GuardianLinked,
    InterestsChanged,
    StudentEnrolled,
    TeachersAssigned,
)
from pathwise_contracts.events.profile import AssignedTeacher, Channel
from pathwise_devstack.commands.bench.replay_log import Log, Message, Student

PROFILE_SRC = "urn:pathwise:profile-svc"
INTERESTS = ("space", "music", "animals", "sports", "art", "games", "cooking", "robots")


# ---------------------------------------------------------------------------
# profile.events.v1


def enrolled(log: Log, s: Student, *, identities: bool = False) -> Message:
    event = StudentEnrolled(
        student_id=s.id,
        district_id=s.district,
        school_id=f"{s.district}-sch{int(s.id[1:]) % 12:02d}",
        grade=str(3 + int(s.id[1:]) % 4),
        section_ids=[f"{s.district}-sec{int(s.id[1:]) % 60:02d}"],
        display_name=log.sealed(24),
        identities=[s.identity] if identities else None,
    )
    return log.wrap(event, PROFILE_EVENTS.name, s.district, source=PROFILE_SRC)


def teachers(log: Log, s: Student) -> Message:
    event = TeachersAssigned(
        student_id=s.id, teachers=[AssignedTeacher(teacher_id=t) for t in s.teachers]
    )
    return log.wrap(event, PROFILE_EVENTS.name, s.district, source=PROFILE_SRC)


def guardian_links(log: Log, s: Student) -> list[Message]:
    return [
        log.wrap(
            GuardianLinked(
                student_id=s.id,
                guardian_id=g,
                relationship="parent",
                educational_rights=True,
                language="en" if log.rng.random() < 0.8 else "es",
                email=log.sealed(40),
                phone=log.sealed(20) if log.rng.random() < 0.5 else None,
                consent={Channel.EMAIL: True, Channel.SMS: log.rng.random() < 0.3},
            ),
            PROFILE_EVENTS.name,
            s.district,
            source=PROFILE_SRC,
        )
        for g in s.guardians
    ]


def contact(log: Log, s: Student) -> list[Message]:
    event = ContactPreferencesChanged(
        student_id=s.id,
        guardian_id=log.rng.choice(s.guardians),
        language="en",
        email=log.sealed(40),
        consent={Channel.EMAIL: log.rng.random() < 0.9, Channel.SMS: log.rng.random() < 0.3},
        time_zone="America/Chicago",
    )
    return [log.wrap(event, PROFILE_EVENTS.name, s.district, source=PROFILE_SRC)]


def consent(log: Log, s: Student) -> list[Message]:
    event = ConsentChanged(
        student_id=s.id,
        version=log.version(s),
        guardian_id=log.rng.choice(s.guardians),
        channel=log.rng.choice((Channel.EMAIL, Channel.SMS)),
        granted=log.rng.random() < 0.7,
        source="portal",
        given_at=log.now(),
    )
    return [log.wrap(event, PROFILE_EVENTS.name, s.district, source=PROFILE_SRC)]


def interests(log: Log, s: Student) -> list[Message]:
    event = InterestsChanged(
        student_id=s.id, version=log.version(s), interests=log.rng.sample(INTERESTS, 2)
    )
    return [log.wrap(event, PROFILE_EVENTS.name, s.district, source=PROFILE_SRC)]


def goal(log: Log, s: Student) -> list[Message]:
    event = GoalSet(
        student_id=s.id,
        version=log.version(s),
        goal_id=f"goal-{log.rng.randrange(3)}",
        competency_ids=[log.competency()],
        status="active",
        agreed_by=["student", "teacher"],
    )
    return [log.wrap(event, PROFILE_EVENTS.name, s.district, source=PROFILE_SRC)]


def enrollment_change(log: Log, s: Student) -> list[Message]:
    event = EnrollmentChanged(
        student_id=s.id,
        version=log.version(s),
        grade=str(3 + log.rng.randrange(4)),
        section_ids=[f"{s.district}-sec{log.rng.randrange(60):02d}"],
    )
    return [log.wrap(event, PROFILE_EVENTS.name, s.district, source=PROFILE_SRC)]
