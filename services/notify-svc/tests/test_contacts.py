"""Contacts sealed with stored keys are opened by profile-svc; derived ones here."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest

from notify_svc.adapters.contacts import (
    ContactGone,
    ContactOpener,
    LookupFailed,
    ServiceCredentials,
)
from pathwise_contracts import EncryptedValue
from pathwise_runtime.pii import Keyring
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.unit

SECRET = "contacts-tests-" + "x" * 32
KEYRING = Keyring(b"k" * 32, legacy=True)
STORED = EncryptedValue(kid="dek:g-1:1", alg="A256GCM", nonce="AAAAAAAAAAAAAAAA", ct="A" * 24)


def opener(answer: httpx.Response, seen: list[httpx.Request]) -> ContactOpener:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    credentials = ServiceCredentials(ServiceSettings(PATHWISE_AUTH_DEV_SECRET=SECRET), None)
    return ContactOpener(
        KEYRING,
        profile_url="http://profile",
        credentials=credentials,
        transport=httpx.MockTransport(handle),
    )


async def test_a_stored_key_value_is_opened_by_profile_svc_as_a_service() -> None:
    seen: list[httpx.Request] = []
    contacts = opener(httpx.Response(200, json={"values": ["ana@x.org"]}), seen)
    assert await contacts.open(STORED, "d1") == "ana@x.org"
    (request,) = seen
    assert request.url.path == "/v1/personal-data/open"
    assert json.loads(request.content)["values"][0]["kid"] == "dek:g-1:1"
    token = request.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="pathwise")
    assert (claims["role"], claims["district"]) == ("service", "d1")


async def test_an_erased_contact_is_gone_and_an_outage_is_retried() -> None:
    with pytest.raises(ContactGone):
        await opener(httpx.Response(200, json={"values": [None]}), []).open(STORED, "d1")
    with pytest.raises(LookupFailed):
        await opener(httpx.Response(503), []).open(STORED, "d1")


async def test_a_derived_key_value_is_opened_here_without_a_call() -> None:
    seen: list[httpx.Request] = []
    sealed = KEYRING.encrypt("g-1", "bo@example.org")
    assert await opener(httpx.Response(500), seen).open(sealed, "d1") == "bo@example.org"
    assert seen == []
