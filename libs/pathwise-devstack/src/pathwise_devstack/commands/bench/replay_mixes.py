"""Per service, the events its projections read, in the proportions a district's log has.

The steady weights say what dominates each log: results for assessment-svc and
path-svc, mastery changes and record reads beside the roster for profile-svc,
mastery, plans and support alerts for notify-svc. A service's own topic is in
its mix only where a projection reads it: path-svc's planning replays the
MasteryUpdated path-svc derived from each result (as its log holds them).
"""

from __future__ import annotations

from pathwise_contracts import (
    ASSESSMENT_ACCESS,
    ASSESSMENT_EVENTS,
    NOTIFY_ACCESS,
    PATH_ACCESS,
    PATH_EVENTS,
    PROFILE_ACCESS,
    AssessmentRecorded,
    AssessmentVoided,
    CompetencyMappingsChanged,
    CompetencyMastered,
    MasteryUpdated,
    PathReplanned,
    ResultSubmitted,
    StatementStored,
    SubmissionVoided,
    SupportNeeded,
)
from pathwise_contracts.events.access import (
    AssessmentRecordAccessed,
    NotifyRecordAccessed,
    PathRecordAccessed,
    ProfileRecordAccessed,
)
from pathwise_contracts.events.assessment import CompetencyMapping
from pathwise_contracts.events.path import Modality, PathStep
from pathwise_devstack.commands.bench.replay_log import Log, Message, Mix, Student
from pathwise_devstack.commands.bench.replay_roster import (
    consent,
    contact,
    enrolled,
    enrollment_change,
    goal,
    guardian_links,
    interests,
    teachers,
)

ASSESSMENT_SRC = "urn:pathwise:assessment-svc"
PATH_SRC = "urn:pathwise:path-svc"
ACTIVITIES = 40  # activities results arrive for before anyone mapped them

# ---------------------------------------------------------------------------
# assessment.events.v1


def recorded(log: Log, s: Student) -> list[Message]:
    return [_recorded(log, s)[0]]


def _recorded(log: Log, s: Student) -> tuple[Message, AssessmentRecorded]:
    assessment = log.uuid()
    log.recent[s.id] = assessment
    event = AssessmentRecorded(
        student_id=s.id,
        assessment_id=assessment,
        competency_id=log.competency(),
        score=float(log.rng.randint(0, 4)),
        max_score=4.0,
        occurred_at=log.now(),
        source="oneroster",
        source_id=str(log.count),
    )
    wrapped = log.wrap(
        event, ASSESSMENT_EVENTS.name, s.district, id=assessment, source=ASSESSMENT_SRC
    )
    return wrapped, event


def _submitted(log: Log, s: Student, competency: str | None, activity: str) -> ResultSubmitted:
    return ResultSubmitted(
        student_id=f"ext:{s.identity}",
        assessment_id=log.uuid(),
        identity=s.identity,
        competency_id=competency,
        activity=activity,
        score=float(log.rng.randint(0, 4)),
        max_score=4.0,
        occurred_at=log.now(),
        source="xapi",
        source_id=str(log.count),
    )


def submitted(log: Log, s: Student) -> list[Message]:
    """A mapped result and the AssessmentRecorded intake derived from it (same id)."""
    event = _submitted(log, s, log.competency(), f"xapi:https://lms.example/a/{log.count}")
    log.recent[s.id] = event.assessment_id
    out = [log.wrap(event, ASSESSMENT_EVENTS.name, s.district, source=ASSESSMENT_SRC)]
    derived = AssessmentRecorded.model_validate(
        {
            **event.model_dump(exclude={"identity", "activity", "max_score_assumed"}),
            "student_id": s.id,
        }
    )
    out.append(
        log.wrap(
            derived,
            ASSESSMENT_EVENTS.name,
            s.district,
            id=event.assessment_id,
            source=ASSESSMENT_SRC,
        )
    )
    return out


def unmapped(log: Log, s: Student) -> list[Message]:
    activity = f"xapi:https://lms.example/unmapped/{log.rng.randrange(ACTIVITIES)}"
    event = _submitted(log, s, None, activity)
    return [log.wrap(event, ASSESSMENT_EVENTS.name, s.district, source=ASSESSMENT_SRC)]


def mapping(log: Log, s: Student) -> list[Message]:
    """A district maps one of the activities results arrived unmapped for."""
    ref = f"https://lms.example/unmapped/{log.rng.randrange(ACTIVITIES)}"
    event = CompetencyMappingsChanged(
        student_id=f"district:{s.district}",
        mappings=[CompetencyMapping(kind="xapi", ref=ref, competency_id=log.competency())],
        changed_at=log.now(),
    )
    return [log.wrap(event, ASSESSMENT_EVENTS.name, s.district, source=ASSESSMENT_SRC)]


def voided(log: Log, s: Student) -> list[Message]:
    assessment = log.recent.pop(s.id, None)
    if assessment is None:
        return []
    event = AssessmentVoided(student_id=s.id, assessment_id=assessment, reason="entered_in_error")
    return [log.wrap(event, ASSESSMENT_EVENTS.name, s.district, source=ASSESSMENT_SRC)]


def submission_voided(log: Log, s: Student) -> list[Message]:
    assessment = log.recent.get(s.id)
    if assessment is None:
        return []
    event = SubmissionVoided(
        student_id=f"ext:{s.identity}", assessment_id=assessment, reason="entered_in_error"
    )
    return [log.wrap(event, ASSESSMENT_EVENTS.name, s.district, source=ASSESSMENT_SRC)]


def statement(log: Log, s: Student) -> list[Message]:
    event = StatementStored(
        student_id=f"ext:{s.identity}",
        statement_id=log.uuid(),
        statement=log.sealed(400),
        verb="http://adlnet.gov/expapi/verbs/answered",
        activity=f"https://lms.example/a/{log.rng.randrange(500)}",
        agent=s.identity,
        stored=log.now(),
        timestamp=log.now(),
    )
    return [log.wrap(event, ASSESSMENT_EVENTS.name, s.district, source=ASSESSMENT_SRC)]


# ---------------------------------------------------------------------------
# path.events.v1 and the access topics


def mastery(log: Log, s: Student) -> list[Message]:
    p = round(log.rng.random(), 4)
    event = MasteryUpdated(
        student_id=s.id,
        competency_id=log.competency(),
        p_mastery=p,
        previous=round(max(0.0, p - 0.05), 4),
        evidence_id=log.uuid(),
        attempts=log.rng.randint(1, 30),
    )
    return [log.wrap(event, PATH_EVENTS.name, s.district, source=PATH_SRC)]


def mastered(log: Log, s: Student) -> list[Message]:
    event = CompetencyMastered(
        student_id=s.id, competency_id=log.competency(), p_mastery=0.96, evidence_id=log.uuid()
    )
    return [log.wrap(event, PATH_EVENTS.name, s.district, source=PATH_SRC)]


def support(log: Log, s: Student) -> list[Message]:
    event = SupportNeeded(
        student_id=s.id,
        competency_id=log.competency(),
        reason=log.rng.choice(("stalled", "declining", "inactive")),
        detail="no progress over the last attempts",
        cause_event_id=log.uuid(),
        episode=1,
    )
    return [log.wrap(event, PATH_EVENTS.name, s.district, source=PATH_SRC)]


def replanned(log: Log, s: Student) -> list[Message]:
    codes = log.rng.sample(log.competencies, min(3, len(log.competencies)))
    event = PathReplanned(
        student_id=s.id,
        version=log.version(s),
        steps=[
            PathStep(competency_id=c, modality=log.rng.choice(list(Modality)), reason="next up")
            for c in codes
        ],
        added=codes[:1],
        removed=[],
        reason="mastery changed",
        cause_event_id=log.uuid(),
    )
    return [log.wrap(event, PATH_EVENTS.name, s.district, source=PATH_SRC)]


_READS = (
    (ProfileRecordAccessed, PROFILE_ACCESS.name, "profile", "GET /v1/students/{student_id}"),
    (AssessmentRecordAccessed, ASSESSMENT_ACCESS.name, "results", "GET /v1/students/{id}/results"),
    (PathRecordAccessed, PATH_ACCESS.name, "path", "GET /v1/students/{student_id}/path"),
    (NotifyRecordAccessed, NOTIFY_ACCESS.name, "messages", "GET /v1/students/{id}/messages"),
)


def assessed(log: Log, s: Student) -> list[Message]:
    """A result and the MasteryUpdated path-svc derived from it (its evidence, same code)."""
    message, event = _recorded(log, s)
    p = round(log.rng.random(), 4)
    update = MasteryUpdated(
        student_id=s.id,
        competency_id=event.competency_id,
        p_mastery=p,
        previous=round(max(0.0, p - 0.05), 4),
        evidence_id=event.assessment_id,
        attempts=log.rng.randint(1, 30),
    )
    return [message, log.wrap(update, PATH_EVENTS.name, s.district, source=PATH_SRC)]


def read(log: Log, s: Student) -> list[Message]:
    kind, topic, section, endpoint = log.rng.choices(_READS, (5, 3, 3, 1))[0]
    event = kind(
        student_id=s.id,
        principal_kind="teacher",
        principal_id=s.teachers[0],
        principal_district=s.district,
        section=section,
        endpoint=endpoint,
        purpose="record-read",
        accessed_at=log.now(),
    )
    return [log.wrap(event, topic, s.district, source=f"urn:pathwise:{topic.split('.')[0]}-svc")]


# ---------------------------------------------------------------------------
# The mixes


def _roster(log: Log, s: Student) -> list[Message]:
    return [enrolled(log, s), *guardian_links(log, s), teachers(log, s)]


MIXES: dict[str, Mix] = {
    "assessment-svc": Mix(
        roster=lambda log, s: [enrolled(log, s, identities=True)],
        steady=(
            (55, submitted),
            (25, statement),
            (5, recorded),
            (4, unmapped),
            (0.5, mapping),
            (1, voided),
            (1, submission_voided),
        ),
        about="enrolments, then xAPI results (+ their AssessmentRecorded), statements, "
        "unmapped results and mappings, voids",
    ),
    "profile-svc": Mix(
        roster=_roster,
        steady=(
            (40, mastery),
            (4, mastered),
            (30, read),
            (6, contact),
            (4, consent),
            (6, interests),
            (4, goal),
            (3, enrollment_change),
            (3, lambda log, s: [teachers(log, s)]),
        ),
        about="roster (enrolment, guardians, teachers), then mastery, record reads, "
        "contact, consent, interests, goals, enrolment changes",
    ),
    "path-svc": Mix(
        roster=lambda log, s: [enrolled(log, s), teachers(log, s)],
        steady=((92, assessed), (1, voided), (3, interests), (2, goal), (2, enrollment_change)),
        about="roster, then AssessmentRecorded with the MasteryUpdated derived from it, "
        "voids, interests, goals",
    ),
    "notify-svc": Mix(
        roster=_roster,
        steady=(
            (65, mastery),
            (8, mastered),
            (6, support),
            (8, replanned),
            (5, contact),
            (4, consent),
            (4, lambda log, s: [teachers(log, s)]),
        ),
        about="roster with guardians' sealed contacts, then mastery, mastered, support, "
        "replans, contact and consent changes",
    ),
}
