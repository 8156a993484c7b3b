"""Canonical Activity definitions (xAPI 1.0.3 Data 2.4.4.1, Comm 2.5): the LRS keeps
what a district's statements said each activity is, and the Activities resource
serves it; languages accumulate, a newer value replaces an older one."""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from standards_support import XAPI_HEADERS

from assessment_svc.domain import xapi
from assessment_svc.domain.xapi_activities import (
    definition_of,
    definitions,
    joined,
    stamp_of,
    stamped,
)
from assessment_svc.main import SPEC
from pathwise_devstack import inprocess
from pathwise_devstack.service_fixtures import SECRET, bearer
from pathwise_devstack.stack import Infrastructure

QUIZ = "https://lms.example/quiz/fractions"
COURSE = "https://lms.example/course/grade3"


def _statement(definition: dict[str, Any], parent: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{secrets.token_hex(4)}@x.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": QUIZ, "definition": definition},
    }
    if parent:
        body["context"] = {"contextActivities": {"parent": {"id": COURSE, "definition": parent}}}
    return body


@pytest.mark.unit
def test_data_2_4_4_1_definitions_come_from_the_object_and_context_activities() -> None:
    [statement] = xapi.parse(
        _statement({"name": {"en-US": "Fractions"}}, parent={"type": "http://x.example/course"})
    )
    assert definitions(statement) == {
        QUIZ: {"name": {"en-US": "Fractions"}},
        COURSE: {"type": "http://x.example/course"},
    }


@pytest.mark.unit
def test_data_2_4_4_1_a_later_definition_adds_languages_and_replaces_values() -> None:
    first = {"name": {"en-US": "Fractions"}, "type": "http://x.example/quiz"}
    later = {"name": {"fr-FR": "Fractions (fr)"}, "type": "http://x.example/test"}
    expected = {"name": {"en-US": "Fractions", "fr-FR": "Fractions (fr)"}, "type": later["type"]}
    a, b = stamped(first, _stamp(1)), stamped(later, _stamp(2))
    assert definition_of(joined(joined({}, a), b)) == expected


@pytest.mark.unit
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_data_2_4_4_1_the_canonical_definition_is_the_same_in_any_arrival_order(
    order: tuple[int, ...],
) -> None:
    given = [
        stamped({"name": {"en-US": "One"}, "type": "http://x.example/a"}, _stamp(1)),
        stamped({"name": {"en-US": "Two", "es": "Dos"}}, _stamp(2)),
        stamped({"type": "http://x.example/c", "name": {"es": "Tres"}}, _stamp(3)),
    ]
    state: dict[str, Any] = {}
    for n in order:
        state = joined(state, given[n])
    assert definition_of(state) == {
        "name": {"en-US": "Two", "es": "Tres"},
        "type": "http://x.example/c",
    }


def _stamp(minute: int) -> str:
    return stamp_of(datetime(2026, 9, 1, 10, minute, tzinfo=UTC), uuid.UUID(int=minute))


@pytest.fixture(scope="module")
async def lrs(module_database: str, infrastructure: Infrastructure) -> AsyncIterator[Any]:
    bootstrap = infrastructure.bootstrap_servers
    async with inprocess.running(SPEC, module_database, bootstrap, secret=SECRET) as run:
        yield run.client


@pytest.mark.integration
async def test_comm_2_5_activities_serve_the_canonical_definition_of_the_district(
    lrs: Any,
) -> None:
    d1, d2 = (bearer("service", d) | XAPI_HEADERS for d in ("d1", "d2"))
    for definition in (
        {"name": {"en-US": "Fractions"}, "description": {"en-US": "Five items"}},
        {"name": {"es": "Fracciones"}, "description": {"en-US": "Six items"}},
    ):
        r = await lrs.post("/xapi/statements", json=_statement(definition), headers=d1)
        assert r.status_code == 200, r.text
    expected = {
        "objectType": "Activity",
        "id": QUIZ,
        "definition": {
            "name": {"en-US": "Fractions", "es": "Fracciones"},
            "description": {"en-US": "Six items"},
        },
    }

    async def defined() -> bool:
        r = await lrs.get("/xapi/activities", params={"activityId": QUIZ}, headers=d1)
        return r.status_code == 200 and r.json() == expected

    await inprocess.eventually(defined, 60)
    r = await lrs.get("/xapi/activities", params={"activityId": QUIZ}, headers=d2)
    assert r.json() == {"objectType": "Activity", "id": QUIZ}  # d1's definitions are d1's


@pytest.mark.integration
async def test_comm_2_1_3_format_canonical_shows_the_lrs_definition_in_one_language(
    lrs: Any,
) -> None:
    d3 = bearer("service", "d3") | XAPI_HEADERS
    first = _statement({"name": {"en-US": "Fractions", "es": "Fracciones"}})
    await lrs.post("/xapi/statements", json=first, headers=d3)
    await lrs.post(
        "/xapi/statements", json=_statement({"type": "http://x.example/quiz"}), headers=d3
    )
    params = {"statementId": first["id"], "format": "canonical"}

    async def canonical() -> bool:
        r = await lrs.get("/xapi/statements", params=params, headers=d3 | {"Accept-Language": "es"})
        definition = r.json().get("object", {}).get("definition") if r.is_success else None
        return definition == {"name": {"es": "Fracciones"}, "type": "http://x.example/quiz"}

    await inprocess.eventually(canonical, 60)
    r = await lrs.get("/xapi/statements", params={"statementId": first["id"]}, headers=d3)
    assert r.json()["object"]["definition"] == first["object"]["definition"]  # exact: as sent
