"""Accommodation codes come from the catalogue: anything else is refused whole, naming it."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pathwise_contracts.accommodations import KNOWN

pytestmark = pytest.mark.unit
URL = "/v1/students/stu-1/accommodations"


async def test_an_unknown_code_is_422_naming_the_field_the_code_and_the_known_codes(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"requirements": ["read_aloud", "extra_recess"], "plans": [{"kind": "iep"}]}
    async with offline_client as client:
        r = await client.put(URL, json=body, headers=auth("teacher"))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    [error] = r.json()["errors"]
    assert error["field"] == "requirements.1"
    assert "'extra_recess'" in error["detail"]
    assert all(code in error["detail"] for code in KNOWN)


@pytest.mark.parametrize(
    ("codes", "field", "words"),
    [
        (["home_language"], "requirements.0", "needs a value"),
        (["extended_time:5"], "requirements.0", "between 1 and 3"),
        (
            ["one_on_one_instruction", "forbidden_modality:one_on_one_tutoring"],
            "requirements",
            "required and forbidden",
        ),
    ],
)
async def test_a_plan_that_cannot_be_honoured_is_422(
    offline_client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    codes: list[str],
    field: str,
    words: str,
) -> None:
    async with offline_client as client:
        r = await client.put(URL, json={"requirements": codes}, headers=auth("teacher"))
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert error["field"] == field and words in error["detail"]


async def test_the_catalogue_is_served_to_any_signed_in_user(
    offline_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    async with offline_client as client:
        assert (await client.get("/v1/accommodations")).status_code == 401
        r = await client.get("/v1/accommodations", headers=auth("guardian"))
    assert r.status_code == 200
    entries = r.json()["entries"]
    assert sorted(e["code"] for e in entries) == sorted(KNOWN)
    extended = next(e for e in entries if e["code"] == "extended_time")
    assert (extended["rule"], extended["value"], extended["default"]) == (
        "constraint",
        "factor",
        "1.5",
    )
