"""xAPI 1.0.3 statement validation: valid ones pass, every violation names its field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment_svc.domain import xapi
from pathwise_contracts.identity import Identities

IDS = Identities(b"k" * 32)

pytestmark = pytest.mark.unit


def statement(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {"objectType": "Agent", "name": "Ana", "mbox": "mailto:ana@school.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/scored", "display": {"en-US": "scored"}},
        "object": {
            "id": "https://lms.example/quiz/7",
            "definition": {
                "name": {"en-US": "Quiz 7"},
                "type": "http://adlnet.gov/expapi/activities/assessment",
            },
        },
        "result": {"score": {"raw": 7, "min": 0, "max": 10, "scaled": 0.7}, "duration": "PT4M30S"},
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "contextActivities": {"parent": [{"id": "https://lms.example/course/3"}]},
            "language": "en-US",
        },
        "timestamp": "2026-09-01T10:00:00+02:00",
    }
    base.update(changes)
    return base


def fields(body: Any) -> set[str]:
    with pytest.raises(xapi.StatementError) as caught:
        xapi.parse(body)
    return {e["field"] for e in caught.value.errors}


def test_a_valid_statement_is_evidence_about_its_actor() -> None:
    [s] = xapi.parse(statement())
    found = xapi.evidence(s, s.id or "", xapi.to_datetime(s.timestamp or ""), IDS)
    assert found is not None
    assert found.identity == IDS.digest("xapi-mbox", "mailto:ana@school.example")
    assert (found.score, found.max_score, found.activity) == (
        7.0,
        10.0,
        "xapi_activity:https://lms.example/quiz/7",
    )
    assert s.activities() == ["https://lms.example/course/3", "https://lms.example/quiz/7"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actor": {"name": "nobody"}}, "actor"),
        ({"actor": {"mbox": "mailto:a@b.c", "openid": "http://id.example/a"}}, "actor"),
        ({"actor": {"mbox": "ana@school.example"}}, "actor.mbox"),
        ({"actor": {"objectType": "Group"}}, "actor"),
        ({"verb": {"id": "scored"}}, "verb.id"),
        ({"verb": {"id": "http://v.example/x", "display": {"english!": "x"}}}, "verb.display"),
        ({"id": "not-a-uuid"}, "id"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": "2026-09-01T10:00:00-00:00"}, "timestamp"),
        ({"result": {"duration": "4 minutes"}}, "result.duration"),
        ({"result": {"score": {"scaled": 1.5}}}, "result.score.scaled"),
        ({"result": {"score": {"raw": 11, "max": 10}}}, "result.score"),
        ({"result": {"score": {"raw": 1, "min": 5, "max": 3}}}, "result.score"),
        ({"context": {"registration": "abc"}}, "context.registration"),
        ({"context": {"extensions": {"not an iri": 1}}}, "context.extensions"),
        ({"object": {"objectType": "StatementRef", "id": "x"}}, "object.id"),
        ({"verb": {"id": xapi.VOIDED}}, "statement"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_each_violation_is_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    assert field in fields(statement(**change))


def test_context_revision_needs_an_activity_object() -> None:
    body = statement(
        object={"objectType": "Agent", "mbox": "mailto:b@school.example"},
        context={"revision": "2"},
        result=None,
    )
    del body["result"]
    assert fields(body) == {"statement"}


def test_a_list_names_the_position_and_repeated_ids_are_refused() -> None:
    good = statement()
    anonymous = statement(verb={"id": "x"})
    del anonymous["id"]
    assert "1.verb.id" in fields([good, anonymous])
    assert fields([good, good]) == {"id"}


def test_statement_comparison_ignores_what_the_lrs_sets() -> None:
    [a] = xapi.parse(statement())
    [b] = xapi.parse(
        statement(
            timestamp="2026-09-01T08:00:00Z",
            stored="2026-09-02T00:00:00Z",
            version="1.0.3",
            authority={"mbox": "mailto:lms@school.example"},
        )
    )
    assert xapi.content(a) == xapi.content(b)
    [c] = xapi.parse(statement(result={"score": {"raw": 6, "min": 0, "max": 10}}))
    assert xapi.content(a) != xapi.content(c)


@pytest.mark.parametrize(
    ("result", "points"),
    [
        ({"score": {"raw": 3, "max": 4}}, (3.0, 4.0)),
        ({"score": {"raw": -2, "min": -5, "max": 5}}, (3.0, 10.0)),
        ({"score": {"scaled": -0.5}}, (0.0, 1.0)),
        ({"success": True}, (1.0, 1.0)),
        ({"completion": True}, None),
    ],
)
def test_points_from_a_result(result: dict[str, Any], points: tuple[float, float] | None) -> None:
    assert xapi.score_of(xapi.Result.model_validate(result)) == points


# --- property: any malformation is refused with a field, never accepted or crashing ----

_BAD_VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.just({}),
    st.just("not an iri"),
)
_PATHS = [
    ("actor",),
    ("actor", "mbox"),
    ("verb",),
    ("verb", "id"),
    ("verb", "display"),
    ("object",),
    ("object", "id"),
    ("object", "definition", "name"),
    ("object", "definition", "type"),
    ("result", "score", "scaled"),
    ("result", "score", "raw"),
    ("result", "duration"),
    ("result", "success"),
    ("context", "registration"),
    ("context", "contextActivities", "parent"),
    ("context", "language"),
    ("timestamp",),
    ("id",),
]


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _valid_anyway(body: dict[str, Any]) -> bool:
    try:
        xapi.parse(body)
    except xapi.StatementError:
        return False
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(_PATHS), value=_BAD_VALUES)
def test_malformed_statements_are_refused_with_a_field(path: tuple[str, ...], value: Any) -> None:
    body = copy.deepcopy(statement())
    _set(body, path, value)
    if _valid_anyway(body):
        # A few replacements are still valid (e.g. a text that happens to be a
        # language tag or an integer raw score); those must then be well formed.
        [s] = xapi.parse(body)
        assert s.verb.id and s.actor
        return
    with pytest.raises(xapi.StatementError) as caught:
        xapi.parse(body)
    assert caught.value.errors
    assert all(e["field"] and e["detail"] for e in caught.value.errors)


@settings(max_examples=200, deadline=None)
@given(
    raw=st.floats(allow_nan=False, allow_infinity=False, width=32),
    low=st.floats(allow_nan=False, allow_infinity=False, width=32),
    high=st.floats(allow_nan=False, allow_infinity=False, width=32),
)
def test_score_ranges_hold_for_every_accepted_score(raw: float, low: float, high: float) -> None:
    body = statement(result={"score": {"raw": raw, "min": low, "max": high}})
    if _valid_anyway(body):
        assert low <= raw <= high and low < high
        [s] = xapi.parse(body)
        assert s.result is not None
        points = xapi.score_of(s.result)
        assert points is not None and 0 <= points[0] <= points[1]
    else:
        assert not (low <= raw <= high and low < high)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actor": {"mbox": "mailto:ana@school.example", "name": None}}, "actor.name"),
        ({"result": {"success": None}}, "result.success"),
        (
            {"context": {"contextActivities": {"parent": [None]}}},
            "context.contextActivities.parent.0",
        ),
    ],
)
def test_data_2_2_null_is_refused_outside_extensions(change: dict[str, Any], field: str) -> None:
    assert field in fields(statement(**change))


def test_data_2_2_null_inside_extensions_is_kept() -> None:
    [s] = xapi.parse(statement(result={"extensions": {"https://x.example/e": None}}))
    assert s.result is not None and s.result.extensions == {"https://x.example/e": None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"result": {"success": "true"}}, "result.success"),
        ({"result": {"completion": 1}}, "result.completion"),
        ({"result": {"score": {"raw": "7", "max": 10}}}, "result.score.raw"),
        ({"result": {"score": {"scaled": "0.5"}}}, "result.score.scaled"),
        ({"actor": {"mbox": "mailto:ana@school.example", "name": 7}}, "actor.name"),
    ],
)
def test_data_2_2_a_value_of_the_wrong_json_type_is_refused(
    change: dict[str, Any], field: str
) -> None:
    assert field in fields(statement(**change))


@pytest.mark.parametrize("component", ["choices", "scale", "source", "target", "steps"])
def test_data_2_4_4_1_interaction_components_need_an_interaction_type(component: str) -> None:
    body = statement(
        object={"id": "https://lms.example/q/1", "definition": {component: [{"id": "a"}]}}
    )
    assert fields(body) == {"object.definition"}
    body["object"]["definition"]["interactionType"] = "choice"
    assert xapi.parse(body)


def test_data_2_4_4_1_a_correct_response_pattern_needs_an_interaction_type() -> None:
    body = statement(
        object={"id": "https://lms.example/q/1", "definition": {"correctResponsesPattern": ["a"]}}
    )
    assert fields(body) == {"object.definition"}


def test_data_2_4_9_an_authority_group_has_exactly_two_members() -> None:
    def member(n: int) -> dict[str, str]:
        return {"mbox": f"mailto:m{n}@x.example"}

    three = {"objectType": "Group", "member": [member(1), member(2), member(3)]}
    assert fields(statement(authority=three)) == {"statement"}
    two = {"objectType": "Group", "member": [member(1), member(2)]}
    assert xapi.parse(statement(authority=two))


def test_data_2_4_6_2_a_single_context_activity_is_kept_as_an_array() -> None:
    one = statement()
    one["context"]["contextActivities"] = {"parent": {"id": "https://lms.example/course/3"}}
    [s] = xapi.parse(one)
    assert xapi.content(s)["context"]["contextActivities"]["parent"] == [
        {"id": "https://lms.example/course/3"}
    ]
    [listed] = xapi.parse(statement())
    assert xapi.content(s) == xapi.content(listed)
