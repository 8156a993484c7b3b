"""Two districts that use one student id and one guardian id are two families.

Every notify-svc row is keyed by (district, id): an event of one district never
changes the other's rows, each family is told only about its own district's
student, and an erasure in one district leaves the other's rows and deliveries.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from notify_svc.projections import DeliveryLogProjection, PlanningProjection
from notify_svc.projections.causes import legacy_summary_cause_id, summary_cause_id, week_of
from notify_svc.projections.recipients import STUDENT_TABLES
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import (
    Channel,
    ContactPreferencesChanged,
    Envelope,
    Event,
    StudentEnrolled,
    SubjectErased,
    TeachersAssigned,
)
from pathwise_contracts.events.profile import AssignedTeacher
from pathwise_devstack.smtp_sink import SmtpSink
from pathwise_runtime.applier import BatchApplier

pytestmark = [pytest.mark.integration, pytest.mark.isolation]

S, G = "s-1", "g-1"
A, B = "d-a", "d-b"
EMAIL = {A: "ana@a.example.org", B: "bo@b.example.org"}
TEACHER = {A: "tia@a.example.org", B: "ted@b.example.org"}
SOURCE = "urn:pathwise:notify-svc"


def _in(district: str, event: Event, time: Any, log: Any, name: str | None = None) -> Any:
    envelope = Envelope.wrap(
        event,
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"{district}/{name}") if name else uuid.uuid4(),
        source="urn:pathwise:test",
        district_id=district,
        time=time,
    )
    return log.wrap(envelope)


def _cause(district: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{district}/{name}"))


async def _rows(db: asyncpg.Pool, table: str, district: str) -> list[dict[str, Any]]:
    rows = await db.fetch(f"SELECT * FROM {table} WHERE district_id = $1", district)
    return sorted((dict(r) for r in rows), key=repr)


async def test_two_districts_under_one_student_and_guardian_id(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, tmp_path: Path, support: ModuleType
) -> None:
    dsn, db = pool
    log, t0, hour = support.Log(), support.T0, support.HOUR
    planning = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    language = {A: "es", B: "en"}
    for d in (A, B):
        linked = support.linked(S, G, email=EMAIL[d], language=language[d])
        enrolled = StudentEnrolled(student_id=S, district_id=d, section_ids=[])
        sealed = support.KEYRING.encrypt("t-1", TEACHER[d])
        taught = TeachersAssigned(
            student_id=S, teachers=[AssignedTeacher(teacher_id="t-1", email=sealed)]
        )
        await planning.apply([_in(d, e, t0 - hour, log) for e in (enrolled, linked, taught)])
    # B's replan comes first with a higher version; A's own path is compared with A's.
    await planning.apply([_in(B, support.replanned(S, 5, ["T.B"], []), t0, log, "plan")])
    await planning.apply([_in(A, support.replanned(S, 1, ["T.A"], []), t0, log, "plan")])
    a_before = await _rows(db, "guardians", A)
    changed = ContactPreferencesChanged(
        student_id=S,
        guardian_id=G,
        language="vi",
        email=support.KEYRING.encrypt(G, EMAIL[B]),
        consent={Channel.EMAIL: True},
    )
    await planning.apply([_in(B, changed, t0, log)])
    assert await _rows(db, "guardians", A) == a_before  # B's change never reaches A's row
    assert [r["language"] for r in await _rows(db, "guardians", B)] == ["vi"]

    for d in (A, B):
        await planning.apply(
            [
                _in(d, support.mastered(S, f"M.{d}"), t0, log, "mastered"),
                _in(d, support.support_needed(S, f"N.{d}"), t0, log, "support"),
                _in(d, support.mastery_updated(S), t0, log),
            ]
        )
    kinds = "SELECT district_id, kind FROM causes ORDER BY 1, 2"
    assert [tuple(r) for r in await db.fetch(kinds)] == [
        (d, k)
        for d in (A, B)
        for k in ("competency_mastered", "path_changed", "support_needed", "weekly_summary")
    ]

    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        settings = NotifySettings(coalesce_window_s=0, smtp_host="127.0.0.1", smtp_port=sink.port)
        sender = Sender(db, dsn, settings=settings, keyring=support.KEYRING, source=SOURCE)
        while await sender.run_once():
            pass
        mails = sink.messages
    home = {
        str(r[0]): r[1] for r in await db.fetch("SELECT cause_event_id, district_id FROM causes")
    }
    told: dict[str, set[str]] = {}
    for mail in mails:
        (to,) = mail["rcpt_tos"]
        told.setdefault(to, set()).add(mail["headers"]["X-Pathwise-Cause-Id"])
    for d in (A, B):  # each family, and each teacher, hears only about its own district
        assert {home[c] for c in told[EMAIL[d]] | told[TEACHER[d]]} == {d}
        assert {_cause(d, "mastered"), _cause(d, "support")} <= told[EMAIL[d]]
        assert told[TEACHER[d]] == {_cause(d, "support")}
    assert set(told) == set(EMAIL.values()) | set(TEACHER.values())

    rows = await db.fetch("SELECT payload FROM pathwise_outbox ORDER BY seq")
    outcomes = [log.wrap(Envelope.from_bytes(bytes(r["payload"]))) for r in rows]
    await BatchApplier(DeliveryLogProjection(), db, kafka_bootstrap).apply(outcomes)
    b_kept = {t: await _rows(db, t, B) for t in STUDENT_TABLES if t != "sms_recipients"}
    assert all(b_kept.values())

    # A erases its guardian, then its student: B's family and its history stay whole.
    guardian_erased = SubjectErased(
        student_id=S, version=3, subject_id=G, kind="guardian", erased_at=t0
    )
    await planning.apply([_in(A, guardian_erased, t0 + hour, log)])
    logged = await _rows(db, "delivery_log", A)
    assert {r["guardian_id"] for r in logged if r["recipient"] == "guardian"} == {"erased"}
    assert await _rows(db, "delivery_log", B) == b_kept["delivery_log"]
    await planning.apply([_in(A, support.erased(S), t0 + hour, log)])
    for table, kept in b_kept.items():
        assert await _rows(db, table, A) == [], table
        assert await _rows(db, table, B) == kept, table
    tombstones = "SELECT district_id FROM erased_students WHERE student_id = $1"
    assert [r["district_id"] for r in await db.fetch(tombstones, S)] == [A]

    # Later facts: A's erased student is never planned again; B's still is.
    late = t0 + 2 * hour
    await planning.apply([_in(d, support.mastered(S, "L.1"), late, log, "late") for d in (A, B)])
    planned = "SELECT district_id FROM notifications WHERE cause_event_id = ANY($1::uuid[])"
    ids = [uuid.UUID(_cause(d, "late")) for d in (A, B)]
    assert [r["district_id"] for r in await db.fetch(planned, ids)] == [B]


async def test_a_weekly_summary_keeps_the_id_it_was_given(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, support: ModuleType
) -> None:
    """A summary planned before ids carried the district keeps its id in that district
    (never planned twice); another district's summary of the same id gets its own."""
    _, db = pool
    log, t0 = support.Log(), support.T0
    week, _ = week_of(t0)
    legacy = legacy_summary_cause_id(S, week)
    await db.execute(
        """INSERT INTO causes (cause_event_id, student_id, district_id, kind, occurred_at)
           VALUES ($1, $2, $3, 'weekly_summary', $4)""",
        uuid.UUID(legacy),
        S,
        A,
        t0,
    )
    planning = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    await planning.apply([_in(d, support.mastery_updated(S), t0, log) for d in (A, B)])
    rows = await db.fetch("SELECT district_id, cause_event_id FROM causes ORDER BY 1")
    assert [(r[0], str(r[1])) for r in rows] == [
        (A, legacy),
        (B, summary_cause_id(B, S, week)),
    ]
