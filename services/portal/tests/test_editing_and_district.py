"""Pure parts of goal/interest editing and of the administrator's pages."""

from __future__ import annotations

import pytest

from portal import accommodations_source, district, profile_edit
from portal.profile_edit import Invalid

pytestmark = pytest.mark.unit


def test_interests_become_profile_tags_and_a_bad_one_names_the_field() -> None:
    assert profile_edit.interest_tags(" Space, soccer team ,space,, music ") == [
        "space",
        "soccer_team",
        "music",
    ]
    assert profile_edit.interest_tags("") == []
    with pytest.raises(Invalid) as bad:
        profile_edit.interest_tags("space, ¡fútbol!")
    assert bad.value.field == "interests" and "fútbol" in bad.value.detail


def test_a_new_goal_is_agreed_by_the_editor_and_checks_its_date() -> None:
    goal_id, body = profile_edit.new_goal("guardian", "3.OA.A.1", "2027-05-31", " bake ")
    assert goal_id.startswith("goal-")
    assert body == {
        "competency_ids": ["3.oa.a.1"],
        "status": "active",
        "agreed_by": ["guardian"],
        "target_date": "2027-05-31",
        "note": "bake",
    }
    assert profile_edit.new_goal("admin", "3.OA.A.1", "", "")[1]["agreed_by"] == ["teacher"]
    with pytest.raises(Invalid) as bad:
        profile_edit.new_goal("student", "3.OA.A.1", "next May", "")
    assert bad.value.field == "target_date"


def test_a_status_change_keeps_the_goal_and_adds_the_editor() -> None:
    goal = {
        "competency_ids": ["3.oa.a.1"],
        "agreed_by": ["student"],
        "target_date": "2027-01-31",
        "note": "n",
    }
    body = profile_edit.goal_status_change("teacher", goal, "achieved")
    assert body["status"] == "achieved" and body["agreed_by"] == ["student", "teacher"]
    assert (body["target_date"], body["note"]) == ("2027-01-31", "n")
    with pytest.raises(Invalid):
        profile_edit.goal_status_change("teacher", goal, "won")
    assert profile_edit.if_match("7") == {"If-Match": '"7"'}
    assert profile_edit.if_match("") == {}


def test_support_across_sections_is_one_row_per_student_and_oldest_first() -> None:
    alert = {"student_id": "s1", "competency_id": "c1", "reason": "stuck"}
    rows = district.needing_support(
        {
            "sec-2": [{**alert, "opened_at": "2026-12-02T10:00:00"}],
            "sec-1": [
                {**alert, "opened_at": "2026-12-02T10:00:00"},
                {"student_id": "s2", "competency_id": "c2", "opened_at": "2026-12-01T09:00:00"},
                {"student_id": "s3", "competency_id": "c3", "opened_at": None},
            ],
        }
    )
    assert [(r.student_id, r.sections) for r in rows] == [
        ("s2", ("sec-1",)),
        ("s1", ("sec-1", "sec-2")),
        ("s3", ("sec-1",)),
    ]


def test_mastery_by_school_and_grade_orders_grades_and_totals_each_school() -> None:
    groups = [
        {"school_id": "a", "grade": "10", "students": 2, "with_evidence": 2, "mastered": 6},
        {"school_id": "a", "grade": "K", "students": 2, "with_evidence": 1, "mastered": 1},
        {"school_id": None, "grade": "3", "students": 1, "with_evidence": 0, "mastered": 0},
    ]
    rows = district.mastery_rows(groups)
    assert [(r.school_id, r.grade) for r in rows] == [
        ("a", "K"),
        ("a", "10"),
        ("a", ""),
        ("—", "3"),
    ]
    total = rows[2]
    assert (total.students, total.with_evidence, total.mastered) == (4, 3, 7)
    assert (round(total.per_student, 2), total.evidence_share) == (2.33, 75)
    assert (rows[3].per_student, rows[3].evidence_share) == (0.0, 0)


def test_the_accommodations_page_lists_the_catalogue_then_unknown_codes_in_use() -> None:
    rows = accommodations_source.rows(
        [{"code": "read_aloud", "students": 3}, {"code": "fidget_tool", "students": 1}]
    )
    by_code = {r.code: r for r in rows}
    assert by_code["read_aloud"].students == 3 and by_code["extended_time"].students == 0
    assert rows[-1] == accommodations_source.Accommodation("fidget_tool", 1, False)
    assert [r.code for r in rows[: len(accommodations_source.KNOWN)]] == list(
        accommodations_source.KNOWN
    )


def test_the_page_says_what_planning_does_with_each_accommodation() -> None:
    rows = {r.code: r for r in accommodations_source.rows([{"code": "fidget", "students": 1}])}
    assert rows["small_group_instruction"].status == "admin.enforced"
    assert rows["extended_time"].status == "admin.enforced"
    assert rows["read_aloud"].status == "admin.annotated"
    assert rows["fidget"].status == "admin.recorded"
