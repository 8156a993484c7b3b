"""The policy matrix: every role against its own student, another section, family and district."""

from __future__ import annotations

import pytest

from pathwise_runtime.auth import Principal
from pathwise_runtime.policy import Act, StudentAccess, decide

pytestmark = [pytest.mark.unit, pytest.mark.isolation]

ADA = StudentAccess(
    district="d1", student_id="ada", teachers=frozenset({"t-ada"}), guardians=frozenset({"g-ada"})
)
# Who, for each relation to Ada: their own student (or themself), a student of
# another section (or family) in the same district, and the same role elsewhere.
CALLERS = {
    "admin": {
        "own": Principal("a-1", "admin", "d1"),
        "other district": Principal("a-2", "admin", "d2"),
    },
    "teacher": {
        "own": Principal("t-ada", "teacher", "d1"),
        "other section": Principal("t-bob", "teacher", "d1"),
        "other district": Principal("t-ada", "teacher", "d2"),
    },
    "guardian": {
        "own": Principal("g-ada", "guardian", "d1"),
        "other family": Principal("g-bob", "guardian", "d1"),
        "other district": Principal("g-ada", "guardian", "d2"),
    },
    "student": {
        "own": Principal("ada", "student", "d1"),
        "other family": Principal("bob", "student", "d1"),
        "other district": Principal("ada", "student", "d2"),
    },
    "service": {
        "own": Principal("notify-svc", "service", "d1"),
        "other district": Principal("notify-svc", "service", "d2"),
    },
}
# What the role may do to its own student; everything else is refused.
MAY = {
    "admin": {Act.READ, Act.STEER, Act.RECORD},
    "teacher": {Act.READ, Act.STEER, Act.RECORD},
    "guardian": {Act.READ},
    "student": {Act.READ, Act.STEER},
    "service": {Act.READ, Act.RECORD},
}
CASES = [
    (role, relation, act)
    for role, relations in CALLERS.items()
    for relation in relations
    for act in Act
]


@pytest.mark.parametrize(("role", "relation", "act"), CASES)
def test_the_matrix(role: str, relation: str, act: Act) -> None:
    who = CALLERS[role][relation]
    # The other district's caller looks Ada up in their own district and finds nobody.
    access = None if relation == "other district" else ADA
    denied = decide(who, act, "ada", access, known_elsewhere=access is None)
    if relation == "own" and act in MAY[role]:
        assert denied is None
    elif act not in MAY[role]:
        assert denied is not None and denied.status == 403
    else:  # not theirs, here or elsewhere: Ada does not exist for them
        assert denied is not None and denied.status == 404
        assert "your district" in denied.detail and "d1" not in denied.detail


def test_an_erased_student_is_nobodys() -> None:
    gone = StudentAccess(district="d1", student_id="ada", erased=True)
    for role in ("admin", "service"):
        denied = decide(CALLERS[role]["own"], Act.READ, "ada", gone)
        assert denied is not None and denied.status == 404


def test_results_may_arrive_before_the_roster_but_not_for_another_districts_student() -> None:
    admin, service = CALLERS["admin"]["own"], CALLERS["service"]["own"]
    assert decide(admin, Act.RECORD, "new", None) is None
    assert decide(service, Act.RECORD, "new", None) is None
    assert decide(admin, Act.RECORD, "theirs", None, known_elsewhere=True) is not None
    teacher = decide(CALLERS["teacher"]["own"], Act.RECORD, "new", None)
    assert teacher is not None and teacher.status == 404  # a teacher needs the roster
    steer = decide(admin, Act.STEER, "new", None)
    assert steer is not None and steer.status == 404


def test_a_row_of_another_district_is_never_taken_for_the_callers() -> None:
    elsewhere = StudentAccess(district="d2", student_id="ada", teachers=frozenset({"t-ada"}))
    denied = decide(CALLERS["teacher"]["own"], Act.READ, "ada", elsewhere)
    assert denied is not None and denied.status == 404
