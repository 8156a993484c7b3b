"""Fetching the other services' sections: the export's token, its id, and no partial record."""

from __future__ import annotations

from uuid import UUID

import httpx
import jwt
import pytest

from pathwise_runtime.settings import ServiceSettings
from profile_svc.adapters.record_sections import RecordSections, RecordSettings, SectionUnavailable

pytestmark = pytest.mark.unit

SECRET = "s" * 32
EXPORT = UUID(int=5)
URLS = RecordSettings(
    ASSESSMENT_URL="http://a", PATH_URL="http://p", NOTIFY_URL="http://n", PROFILE_EXPORT_TOKEN=None
)
NOWHERE = RecordSettings(ASSESSMENT_URL=None, PATH_URL=None, NOTIFY_URL=None)


def _sections(answer: dict[str, int], seen: list[httpx.Request]) -> RecordSections:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = answer.get(request.url.host, 200)
        return httpx.Response(status, json={"service": request.url.host})

    transport = httpx.MockTransport(handle)
    return RecordSections(
        ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET),
        URLS,
        transports={name: transport for name in ("assessment-svc", "path-svc", "notify-svc")},
    )


async def test_each_service_is_asked_with_the_exports_token_and_id() -> None:
    seen: list[httpx.Request] = []
    found = await _sections({}, seen).fetch("d1", "ada", EXPORT, guardian_id="g-1")
    assert set(found) == {"assessments", "learning", "messages"}
    for request in seen:
        assert request.url.path == "/v1/students/ada/record-section"
        assert request.headers["X-Pathwise-Export-Id"] == str(EXPORT)
        token = request.headers["Authorization"].removeprefix("Bearer ")
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="pathwise")
        assert (claims["role"], claims["district"], claims["purpose"]) == (
            "service",
            "d1",
            "record-export",
        )
    by_host = {r.url.host: r.url.params.get("guardian_id") for r in seen}
    assert by_host == {"a": None, "p": None, "n": "g-1"}  # a family reads only its messages


async def test_a_section_that_does_not_come_back_fails_the_export_naming_it() -> None:
    with pytest.raises(SectionUnavailable) as gone:
        await _sections({"p": 500}, []).fetch("d1", "ada", EXPORT, guardian_id=None)
    assert (gone.value.section, gone.value.service) == ("learning", "path-svc")
    assert "answered 500" in str(gone.value)


async def test_without_an_address_or_a_token_nothing_is_fetched() -> None:
    no_url = RecordSections(ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET), NOWHERE)
    with pytest.raises(SectionUnavailable, match="has no URL configured"):
        await no_url.fetch("d1", "ada", EXPORT, guardian_id=None)
    no_token = RecordSections(ServiceSettings(PATHWISE_AUTH_DEV_SECRET=None), URLS)
    with pytest.raises(SectionUnavailable, match="PROFILE_EXPORT_TOKEN"):
        await no_token.fetch("d1", "ada", EXPORT, guardian_id=None)


async def test_a_configured_export_token_serves_only_its_own_district() -> None:
    """The sections answer for the token's district: another district's export must not
    borrow it (a namesake's results would land in the wrong family's record)."""
    token = jwt.encode({"role": "service", "district": "d1"}, SECRET, algorithm="HS256")
    configured = RecordSettings(
        ASSESSMENT_URL="http://a",
        PATH_URL="http://p",
        NOTIFY_URL="http://n",
        PROFILE_EXPORT_TOKEN=token,
    )
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200, json={}))
    sections = RecordSections(
        ServiceSettings(PATHWISE_AUTH_DEV_SECRET=None),
        configured,
        transports={name: transport for name in ("assessment-svc", "path-svc", "notify-svc")},
    )
    assert set(await sections.fetch("d1", "ada", EXPORT, guardian_id=None)) == {
        "assessments",
        "learning",
        "messages",
    }
    with pytest.raises(SectionUnavailable, match="for district 'd1', not 'd2'"):
        await sections.fetch("d2", "ada", EXPORT, guardian_id=None)
    assert len(seen) == 3
