"""Every catalogue accommodation is honoured by the plan (and by grouping where it matters)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from path_svc.domain import catalogue
from path_svc.domain.accommodations import SESSION_ITEMS, SESSION_MINUTES, rules
from path_svc.domain.grouping import Member, suggest
from path_svc.domain.planner import Inputs, Override, Standing, plan
from pathwise_contracts import Modality, PathStep
from pathwise_contracts.accommodations import CATALOGUE, KNOWN, parse, problems

pytestmark = pytest.mark.unit
FRAMEWORK = catalogue.load_default()
SITUATIONS = {
    "3.OA.A.1": Standing(0.2, 4),  # stuck
    "3.OA.A.2": Standing(0.85, 2),  # near mastery
    "3.NBT.A.1": Standing(0.5, 1),  # developing
}
"""Started work in three situations; a plan without estimates adds new work."""


def plans(*codes: str, started: bool | None = None) -> list[PathStep]:
    """Steps of many plans under the codes: every situation (or only started work, or
    only new work), twenty causes each."""
    out: list[PathStep] = []
    cases = {True: [SITUATIONS], False: [{}], None: [SITUATIONS, {}]}[started]
    for n in range(20):
        for estimates in cases:
            inputs = Inputs(estimates=estimates, requirements=codes)
            out += plan(FRAMEWORK, inputs, uuid.UUID(int=n))
    return out


def _only(code: str, how: Modality) -> None:
    steps = plans(code)
    assert {s.modality for s in steps} == {how}
    assert all(s.options == [how] and "required by the student's plan" in s.reason for s in steps)
    forced = Override("modality", "3.OA.A.1", modality=Modality.INDEPENDENT_PRACTICE)
    step = next(
        s
        for s in plan(FRAMEWORK, Inputs(requirements=[code], overrides=[forced]), "c")
        if s.competency_id == "3.OA.A.1"
    )
    assert step.modality is how and "cannot override" in step.reason


def small_group_instruction() -> None:
    _only("small_group_instruction", Modality.SMALL_GROUP_INSTRUCTION)


def one_on_one_instruction() -> None:
    _only("one_on_one_instruction", Modality.ONE_ON_ONE_TUTORING)
    step = plans("one_on_one_instruction")[0]
    assert suggest([Member(f"s{i}", step, ("one_on_one_instruction",)) for i in range(4)]) == []


def forbidden_modality() -> None:
    for how in Modality:
        steps = plans(f"forbidden_modality:{how.value}")
        assert all(s.modality is not how and how not in s.options for s in steps)
    # Both stuck candidates forbidden: the most supported other way.
    stuck = plans(
        "forbidden_modality:one_on_one_tutoring",
        "forbidden_modality:small_group_instruction",
        started=True,
    )
    assert {s.modality for s in stuck if s.competency_id == "3.OA.A.1"} == {
        Modality.TEACHER_LED_INSTRUCTION
    }
    # A teacher's modality override the plan forbids is not applied, and the step says so.
    forced = Override("modality", "3.OA.A.1", modality=Modality.PEER_TUTORING)
    inputs = Inputs(requirements=["forbidden_modality:peer_tutoring"], overrides=[forced])
    step = next(s for s in plan(FRAMEWORK, inputs, "c") if s.competency_id == "3.OA.A.1")
    assert step.modality is not Modality.PEER_TUTORING and not step.overridden
    assert "peer tutoring set by a teacher is forbidden by the plan" in step.reason
    step = PathStep(competency_id="x", modality=Modality.SMALL_GROUP_PROJECT, reason="r")
    code = ("forbidden_modality:small_group_project",)
    assert suggest([Member(f"s{i}", step, code) for i in range(4)]) == []


def preferred_modality() -> None:
    new = plans("preferred_modality:peer_tutoring", started=False)
    assert new and all(s.modality is Modality.PEER_TUTORING for s in new)
    assert all("preferred by the student's plan" in s.reason for s in new)
    assert all(s.options == [Modality.PEER_TUTORING] for s in new)
    # The plan's preference wins over the student's own wish to avoid it.
    avoiding = Inputs(
        requirements=["preferred_modality:peer_tutoring"], avoided=[Modality.PEER_TUTORING]
    )
    assert {s.modality for s in plan(FRAMEWORK, avoiding, "c")} == {Modality.PEER_TUTORING}
    steps = plans("preferred_modality:peer_tutoring", started=True)
    near = [s for s in steps if s.competency_id == "3.OA.A.2"]  # not a candidate there
    assert all(s.modality is not Modality.PEER_TUTORING for s in near)


def extended_time() -> None:
    assert {(s.minutes, s.items) for s in plans("extended_time")} == {(30, None)}
    assert {(s.minutes, s.items) for s in plans("extended_time:2")} == {(40, None)}


def reduced_items() -> None:
    assert {(s.minutes, s.items) for s in plans("reduced_items")} == {(None, 5)}
    assert {s.items for s in plans("reduced_items:0.3")} == {3}


def shortened_sessions() -> None:
    assert {(s.minutes, s.items) for s in plans("shortened_sessions:10")} == {(10, 5)}
    # With extended time: 30 minutes capped to 15, the same pace (10 items in 30) gives 5.
    both = plans("extended_time", "shortened_sessions")
    assert {(s.minutes, s.items) for s in both} == {(15, 5)}


def home_language() -> None:
    step = PathStep(competency_id="x", modality=Modality.SMALL_GROUP_INSTRUCTION, reason="r")
    members = [
        Member(f"s{i}", step, ("home_language:es",) if i % 2 else (), i / 10) for i in range(6)
    ]
    groups = suggest(members)
    assert [g.student_ids for g in groups] == [["s0", "s2", "s4", "s1", "s3", "s5"]]
    members += [
        Member(f"t{i}", step, ("home_language:es",) if i % 2 else (), 0.9) for i in range(6)
    ]
    spanish = {m.student_id for m in members if m.requirements}
    assert [set(g.student_ids) == spanish for g in suggest(members)] == [False, True]


def _annotation_only(code: str) -> Callable[[], None]:
    def case() -> None:
        steps = plans(code)
        assert all((s.minutes, s.items) == (None, None) and s.annotations for s in steps)
        plain = [s.model_copy(update={"annotations": []}) for s in steps]
        assert plain == plans()  # shown to the teacher, changing nothing else

    return case


CASES: dict[str, Callable[[], None]] = {
    "small_group_instruction": small_group_instruction,
    "one_on_one_instruction": one_on_one_instruction,
    "forbidden_modality": forbidden_modality,
    "preferred_modality": preferred_modality,
    "extended_time": extended_time,
    "reduced_items": reduced_items,
    "shortened_sessions": shortened_sessions,
    "home_language": home_language,
    **{
        code: _annotation_only(code)
        for code in (
            "frequent_breaks",
            "read_aloud",
            "text_to_speech",
            "bilingual_glossary",
            "simplified_language",
            "assistive_technology:calculator",
            "preferential_seating",
            "separate_setting",
            "visual_supports",
            "manipulatives",
            "check_for_understanding",
            "scribe",
        )
    },
}
"""One case per catalogue entry, keyed by its code (annotation-only entries share a check)."""

EXAMPLES = {
    "home_language": "home_language:es",
    "forbidden_modality": "forbidden_modality:peer_tutoring",
    "preferred_modality": "preferred_modality:peer_tutoring",
    "assistive_technology": "assistive_technology:calculator",
}


def test_every_catalogue_entry_has_a_case() -> None:
    assert {c.partition(":")[0] for c in CASES} == set(KNOWN)


@pytest.mark.parametrize("code", sorted(CASES))
def test_a_plan_honours_the_accommodation(code: str) -> None:
    CASES[code]()


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda a: a.code)
def test_every_step_carries_the_teachers_annotation(entry: object) -> None:
    code = EXAMPLES.get(entry.code, entry.code)  # type: ignore[attr-defined]
    r = parse(code)  # a default value is spelled out: extended_time -> extended_time:1.5
    steps = plans(code)
    assert steps and all(
        [(a.code, a.text) for a in s.annotations] == [(r.code, r.label)] for s in steps
    )


def test_labels_read_as_a_teacher_expects() -> None:
    assert parse("extended_time").label == "extended time 1.5\N{MULTIPLICATION SIGN}"
    assert parse("forbidden_modality:peer_tutoring").label == "not taught as peer tutoring"
    assert parse("home_language:es").label == "home-language materials (es)"


def test_annotations_follow_the_catalogue_not_the_typed_order() -> None:
    a = plans("read_aloud", "extended_time")
    b = plans("extended_time", "read_aloud")
    assert a == b
    assert [x.code for x in a[0].annotations] == ["extended_time:1.5", "read_aloud"]


def test_unknown_codes_on_old_events_are_ignored_by_the_planner() -> None:
    assert rules(["no_such_thing", "read_aloud"]).annotations == rules(["read_aloud"]).annotations
    assert SESSION_MINUTES == 20 and SESSION_ITEMS == 10


@pytest.mark.parametrize(
    ("codes", "index", "words"),
    [
        (["read_aloud", "bogus"], 1, "unknown accommodation code 'bogus'"),
        (["home_language"], 0, "needs a value"),
        (["home_language:Spanish"], 0, "BCP 47"),
        (["extended_time:9"], 0, "between 1 and 3"),
        (["read_aloud:yes"], 0, "takes no value"),
        (["forbidden_modality:juggling"], 0, "must be a modality"),
        (["assistive_technology:acme-reader-3000"], 0, "must be one of"),
        (["small_group_instruction", "one_on_one_instruction"], 1, "two different"),
        (["small_group_instruction", "forbidden_modality:small_group_instruction"], 1, "forbidden"),
        ([f"forbidden_modality:{m.value}" for m in Modality], 6, "every modality"),
    ],
)
def test_plans_that_cannot_be_honoured_are_refused(
    codes: list[str], index: int, words: str
) -> None:
    found = problems(codes)
    assert found and found[0][0] == index and words in found[0][1]


def test_a_valid_plan_has_no_problems() -> None:
    assert (
        problems(
            [EXAMPLES.get(a.code, a.code) for a in CATALOGUE if a.code != "one_on_one_instruction"]
        )
        == []
    )
