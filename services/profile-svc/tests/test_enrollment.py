"""The enrollment: validation, its events and what counts as the same enrollment."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from pathwise_contracts import GuardianLinked, StudentEnrolled, derive_event_id
from pathwise_runtime.pii import Keyring
from profile_svc.adapters.keystore import DataKeys
from profile_svc.adapters.personal import Vault
from profile_svc.domain.enrollment import Enrollment

pytestmark = pytest.mark.unit
KEY = b"k" * 32


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "student_id": "stu-1",
        "school_id": "sch-1",
        "grade": "5",
        "section_ids": ["math-5a"],
        "display_name": "Ada Lovelace",
        "guardians": [
            {
                "guardian_id": "g-1",
                "relationship": "mother",
                "email": "ada.mother@example.org",
                "consent": {"email": True},
            },
            {"guardian_id": "g-2", "relationship": "father", "phone": "+15551234567"},
        ],
    }
    return {**base, **changes}


def test_the_fingerprint_ignores_guardian_order_but_not_data() -> None:
    a = Enrollment.model_validate(body())
    swapped = Enrollment.model_validate(body(guardians=body()["guardians"][::-1]))
    assert a.fingerprint("d1", KEY) == swapped.fingerprint("d1", KEY)
    assert a.fingerprint("d1", KEY) != a.fingerprint("d2", KEY)
    assert a.fingerprint("d1", KEY) != a.fingerprint("d1", b"o" * 32)
    renamed = Enrollment.model_validate(body(display_name="Ada King"))
    assert a.fingerprint("d1", KEY) != renamed.fingerprint("d1", KEY)
    assert "Ada" not in a.fingerprint("d1", KEY)


def test_events_have_derived_ids_and_sealed_personal_data() -> None:
    keys = {
        (kind, s): (f"dek:{kind}:{s}", bytes([n]) * 32)
        for n, (kind, s) in enumerate(
            (kind, s) for s in ["stu-1", "g-1", "g-2"] for kind in ("student", "guardian")
        )
    }
    personal = Vault(DataKeys(keys), Keyring(b"m" * 32, legacy=True), "d1")
    sis = {"sis": "SIS-0042", "xapi_mbox": "ada@school.example"}
    events = Enrollment.model_validate(body(external_ids=sis)).events(
        "d1", personal.seal_student, personal.seal_guardian, personal.identities
    )
    ids = [event_id for event_id, _ in events]
    assert ids == [
        derive_event_id("enroll", "d1", "stu-1"),
        derive_event_id("guardian", "d1", "stu-1", "g-1"),
        derive_event_id("guardian", "d1", "stu-1", "g-2"),
    ]
    enrolled, mother, father = (event for _, event in events)
    assert isinstance(enrolled, StudentEnrolled)
    assert isinstance(mother, GuardianLinked)
    assert isinstance(father, GuardianLinked)
    for _, event in events:
        text = event.model_dump_json()
        assert "Ada" not in text and "example.org" not in text and "5551234567" not in text
        assert "SIS-0042" not in text and "school.example" not in text
    assert personal.open(enrolled.display_name) == "Ada Lovelace"
    # Ids in other systems are sealed; only keyed digests of them travel in clear.
    assert enrolled.external_ids == {} and enrolled.identities
    ids = json.loads(personal.open(enrolled.sealed_external_ids) or "{}")
    assert ids == sis
    assert enrolled.identities == personal.identities.of_student("stu-1", ids)
    assert not set(enrolled.identities) & set(
        Vault(DataKeys({}), Keyring(b"m" * 32, legacy=True), "d2").identities.of_student(
            "stu-1", ids
        )
    )  # another district, other digests
    assert enrolled.display_name is not None and "stu-1" in enrolled.display_name.kid
    assert personal.open(mother.email) == "ada.mother@example.org"
    assert mother.email is not None and "g-1" in mother.email.kid
    # Contacts on logs written before stored keys (derived keyring) still open.
    assert (
        personal.open(Keyring(b"m" * 32, legacy=True).encrypt("g-1", "old@example.org"))
        == "old@example.org"
    )
    assert (mother.educational_rights, mother.language) == (True, "en")
    assert mother.consent == {"email": True, "sms": False}
    assert personal.open(father.phone) == "+15551234567"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"student_id": "a|b"}, "student_id"),
        ({"display_name": ""}, "display_name"),
        ({"guardians": [{"guardian_id": "g", "relationship": "x", "phone": "555"}]}, "phone"),
        ({"guardians": [{"guardian_id": "g", "relationship": "x", "email": "nope"}]}, "email"),
        ({"guardians": [{"guardian_id": "g", "relationship": "x", "language": "?"}]}, "language"),
        ({"guardians": [{"guardian_id": "g"}]}, "relationship"),
    ],
)
def test_invalid_enrollments_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Enrollment.model_validate(body(**change))
    assert field in {str(e["loc"][-1]) for e in caught.value.errors()}


def test_a_guardian_is_listed_once() -> None:
    twice = [{"guardian_id": "g", "relationship": "x"}] * 2
    with pytest.raises(ValidationError, match="only once"):
        Enrollment.model_validate(body(guardians=twice))
