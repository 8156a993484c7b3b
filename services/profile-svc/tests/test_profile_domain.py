"""Pure rules: who sees a student, the stream fold, and what commands become."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from pathwise_contracts import (
    Channel,
    ConsentChanged,
    ContactPreferencesChanged,
    Frequency,
    GuardianLinked,
    StudentEnrolled,
    StudentWithdrawn,
    SubjectErased,
)
from pathwise_runtime.pii import Keyring
from profile_svc.adapters.keystore import DataKeys
from profile_svc.adapters.personal import Vault
from profile_svc.domain.access import StudentFacts, Viewer, is_guardian, sees
from profile_svc.domain.contact import ConsentDecision, ContactPreferences
from profile_svc.domain.learner import Accommodations, ModalityPreferences, Reflection
from profile_svc.domain.stream import StreamState, evolve

pytestmark = pytest.mark.unit

ADA = StudentFacts("s1", "d1", frozenset({"math-5a"}), {"mum": True, "dad": False})


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        (Viewer("admin", "a", "d1"), True),
        (Viewer("admin", "a", "d2"), False),
        (Viewer("service", "notify", "d1"), True),
        (Viewer("teacher", "t", "d1", frozenset({"math-5a"})), True),
        (Viewer("teacher", "t", "d1", frozenset({"math-5b"})), False),
        (Viewer("teacher", "t", "d2", frozenset({"math-5a"})), False),
        (Viewer("guardian", "mum", "d1"), True),
        (Viewer("guardian", "dad", "d1"), False),
        (Viewer("guardian", "stranger", "d1"), False),
        (Viewer("student", "s1", "d1"), True),
        (Viewer("student", "s2", "d1"), False),
    ],
)
def test_who_sees_a_student(viewer: Viewer, visible: bool) -> None:
    assert sees(viewer, ADA) is visible


def _vault(*subjects: str) -> Vault:
    """Stored keys for ``subjects`` in memory, and the derived keyring for older values."""
    keys = {
        (kind, s): (f"dek:{kind}:{s}", bytes([n]) * 32)
        for n, (kind, s) in enumerate(
            (kind, s) for s in subjects for kind in ("student", "guardian")
        )
    }
    return Vault(DataKeys(keys), Keyring(b"m" * 32, legacy=True), "d1")


def test_a_guardian_without_rights_is_still_linked() -> None:
    assert is_guardian(Viewer("guardian", "dad", "d1"), ADA)
    assert not is_guardian(Viewer("guardian", "dad", "d2"), ADA)


def test_the_stream_folds_links_changes_withdrawal_and_erasure() -> None:
    link = GuardianLinked(
        student_id="s1",
        guardian_id="mum",
        relationship="mother",
        educational_rights=True,
        consent={Channel.EMAIL: True},
    )
    state = evolve(
        StreamState(), [StudentEnrolled(student_id="s1", district_id="d1", section_ids=["a"]), link]
    )
    assert state.section_ids == ["a"] and state.guardians["mum"].consent == {Channel.EMAIL: True}
    decision = ConsentDecision(channel=Channel.EMAIL, granted=False, source="sms_stop").with_time(
        datetime(2026, 9, 1, tzinfo=UTC)
    )
    events = decision.events(state.guardians["mum"], "s1", "mum", 2)
    assert isinstance(events[0], ConsentChanged) and events[0].given_at.year == 2026
    assert isinstance(events[1], ContactPreferencesChanged)
    assert events[1].consent == {Channel.EMAIL: False, Channel.SMS: False}
    state = evolve(state, events)
    assert state.guardians["mum"].consent[Channel.EMAIL] is False
    gone = SubjectErased(
        student_id="s1", version=3, subject_id="mum", kind="guardian", erased_at=datetime.now(UTC)
    )
    assert evolve(state, [gone]).guardians == {}
    left = StudentWithdrawn(
        student_id="s1", version=3, withdrawn_on=date(2027, 6, 1), reason="graduated"
    )
    assert evolve(state, [left]).status == "withdrawn"
    erased = gone.model_copy(update={"subject_id": "s1", "kind": "student"})
    assert evolve(state, [erased]) == StreamState(status="erased")


def test_contact_preferences_seal_details_and_keep_consent() -> None:
    vault = _vault("mum")
    state = evolve(
        StreamState(),
        [
            GuardianLinked(
                student_id="s1",
                guardian_id="mum",
                relationship="mother",
                educational_rights=True,
                consent={Channel.SMS: True},
            )
        ],
    )
    body = ContactPreferences(
        phone="+15551234567",
        time_zone="Europe/Madrid",
        frequency={Channel.SMS: Frequency.DAILY_DIGEST},
    )
    after = body.applied(state.guardians["mum"], "mum", vault.seal_guardian)
    event = after.preferences("s1", "mum", 2)
    assert "555" not in event.model_dump_json()
    assert vault.open(event.phone) == "+15551234567"
    assert event.consent[Channel.SMS] is True
    assert event.frequency == {
        Channel.EMAIL: Frequency.INSTANT,
        Channel.SMS: Frequency.DAILY_DIGEST,
    }
    with pytest.raises(ValidationError, match="IANA"):
        ContactPreferences(time_zone="Mars/Olympus")


def test_free_text_and_plan_details_are_sealed() -> None:
    vault = _vault("s1")
    plan = Accommodations(
        requirements=["extended_time"], plans=[{"kind": "iep", "details": "Autism support"}]
    ).event("s1", 2, vault.seal_student)
    note = Reflection(reflection_id="r", text="I am proud").event("s1", 3, vault.seal_student)
    assert "Autism support" not in plan.model_dump_json()
    assert '"iep"' not in plan.model_dump_json()
    assert "I am proud" not in note.model_dump_json()
    with pytest.raises(ValidationError, match="both"):
        ModalityPreferences(preferred=["peer_tutoring"], avoided=["peer_tutoring"])
