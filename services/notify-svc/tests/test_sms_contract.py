"""One set of cases for every SMS provider: the Twilio adapter against the dev sink, the fake.

If the sink and the fake ever disagree with the adapter about what is accepted
and what is refused (and whether a refusal is worth a retry), these fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from notify_svc.adapters.sms import (
    FakeSms,
    Sms,
    SmsFailed,
    SmsProvider,
    TwilioCredentials,
    TwilioSms,
    VonageCredentials,
    VonageSms,
)
from notify_svc.api import sms_webhooks
from notify_svc.settings import NotifySettings
from pathwise_devstack import sms_sink
from pathwise_devstack.sms_sink import SmsSink, read_outbox
from pathwise_runtime import problems

pytestmark = pytest.mark.integration


@dataclass
class Under:
    provider: SmsProvider
    bodies: Callable[[], list[str]]


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmsSink]:
    with SmsSink(tmp_path_factory.mktemp("sms") / "outbox.jsonl") as running:
        yield running


@pytest.fixture(params=["twilio-at-sink", "vonage-at-sink", "fake"])
async def under(request: pytest.FixtureRequest, sink: SmsSink) -> AsyncIterator[Under]:
    if request.param == "fake":
        fake = FakeSms()
        yield Under(fake, lambda: [s.body for _, s in fake.sent])
        return
    start = len(sink.messages)
    adapter: SmsProvider
    if request.param == "vonage-at-sink":
        keys = VonageCredentials(sink.account_sid, sink.auth_token, "+15550100")
        adapter = VonageSms(sink.url, keys)
    else:
        adapter = TwilioSms(
            sink.url, TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100")
        )
    async with contextlib.aclosing(adapter):  # its kept connections
        yield Under(adapter, lambda: [m["body"] for m in sink.messages[start:]])


async def test_an_accepted_message_has_a_provider_id_and_is_sent_once(under: Under) -> None:
    first = await under.provider.send(Sms(to="+15550123456", body="Pathwise: hello"))
    second = await under.provider.send(Sms(to="+15550123456", body="Pathwise: again"))
    assert first.provider_id and first.provider_id != second.provider_id
    assert first.status == "queued"
    assert under.bodies() == ["Pathwise: hello", "Pathwise: again"]


@pytest.mark.parametrize(
    ("to", "body"), [("0555-not-e164", "hi"), ("+15550123456", "")], ids=["number", "body"]
)
async def test_an_invalid_message_is_refused_for_good(under: Under, to: str, body: str) -> None:
    with pytest.raises(SmsFailed) as refused:
        await under.provider.send(Sms(to=to, body=body))
    assert refused.value.permanent
    assert under.bodies() == []


async def test_the_sink_refuses_wrong_credentials_and_keeps_an_outbox(sink: SmsSink) -> None:
    wrong = TwilioSms(sink.url, TwilioCredentials(sink.account_sid, "wrong", "+15550100"))
    with pytest.raises(SmsFailed) as refused:
        async with contextlib.aclosing(wrong):
            await wrong.send(Sms(to="+15550123456", body="x"))
    assert refused.value.permanent and "401" in str(refused.value)
    vonage = VonageSms(sink.url, VonageCredentials(sink.account_sid, "wrong", "+15550100"))
    with pytest.raises(SmsFailed) as refused:
        async with contextlib.aclosing(vonage):
            await vonage.send(Sms(to="+15550123456", body="x"))
    assert refused.value.permanent and "Bad Credentials" in str(refused.value)
    right = TwilioSms(
        sink.url,
        TwilioCredentials(sink.account_sid, sink.auth_token, messaging_service_sid="MG1"),
    )
    async with contextlib.aclosing(right):
        accepted = await right.send(Sms(to="+15550123999", body="Pathwise: ünïcode ✓"))
    stored = [m for m in read_outbox(sink.outbox) if m["sid"] == accepted.provider_id]
    assert stored and stored[0]["body"] == "Pathwise: ünïcode ✓" and stored[0]["from"] == "MG1"


async def test_an_unreachable_provider_is_worth_a_retry() -> None:
    adapter = TwilioSms("http://127.0.0.1:9", TwilioCredentials("AC1", "t", "+15550100"))
    with pytest.raises(SmsFailed) as failed:
        await adapter.send(Sms(to="+15550123456", body="x"))
    assert not failed.value.permanent


@pytest.mark.parametrize("apart", [False, True], ids=["one-url", "callback-url-apart"])
@pytest.mark.parametrize("provider", ["twilio", "vonage"])
async def test_the_sinks_signed_callbacks_are_accepted_by_the_webhooks(
    sink: SmsSink, monkeypatch: pytest.MonkeyPatch, provider: str, apart: bool
) -> None:
    """The sink signs delivery reports and replies as each provider does; notify-svc verifies.

    With NOTIFY_CALLBACK_URL apart from the public URL (the sink inside compose's
    network), providers are given and signatures checked against the callback URL.
    """
    public = "http://notify.example"  # where the provider reaches notify-svc
    monkeypatch.setenv("SMS_AUTH_TOKEN", sink.auth_token)
    if apart:
        monkeypatch.setenv("NOTIFY_PUBLIC_URL", "http://families.example")
        monkeypatch.setenv("NOTIFY_CALLBACK_URL", public)
    else:
        monkeypatch.setenv("NOTIFY_PUBLIC_URL", public)
    monkeypatch.setenv("SMS_PROVIDER", provider)
    reports: list[tuple[str, str, str]] = []
    arrived = threading.Event()  # set on the sink's own thread and loop

    async def record(_pool: Any, provider_id: str, status: str, **kw: Any) -> bool:
        reports.append((provider_id, status, kw["provider"]))
        arrived.set()
        return True

    acted: list[tuple[str, str]] = []

    async def act(_runtime: Any, _settings: Any, number: str, body: str) -> None:
        acted.append((number, body))

    monkeypatch.setattr(sms_webhooks.sms_reports, "record_provider_status", record)
    settled: list[tuple[str, str]] = []

    async def settle(_pool: Any, ref: str, provider_id: str, _source: str) -> bool:
        settled.append((ref, provider_id))
        return True

    monkeypatch.setattr(sms_webhooks.unknowns, "settle_reported", settle)
    monkeypatch.setattr(sms_webhooks, "_act", act)
    handled: set[tuple[str, str]] = set()

    async def acted_on(_pool: Any, provider: str, message_id: str) -> bool:
        return (provider, message_id) in handled

    async def mark_acted(_pool: Any, provider: str, message_id: str) -> None:
        handled.add((provider, message_id))

    monkeypatch.setattr(sms_webhooks.sms_inbound, "acted_on", acted_on)
    monkeypatch.setattr(sms_webhooks.sms_inbound, "mark_acted", mark_acted)
    app = FastAPI()
    problems.install(app)
    app.include_router(sms_webhooks.router)
    app.state.runtime = SimpleNamespace(settings=None, pool=None, source="urn:t")
    real_client = httpx.AsyncClient

    def client(**kwargs: Any) -> httpx.AsyncClient:
        mounts = {public: httpx.ASGITransport(app=app)}
        return real_client(mounts=mounts, **kwargs)

    monkeypatch.setattr(sms_sink.httpx, "AsyncClient", client)
    adapter: SmsProvider
    if provider == "vonage":
        adapter = VonageSms(sink.url, VonageCredentials(sink.account_sid, sink.auth_token, "PW"))
    else:
        adapter = TwilioSms(
            sink.url, TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100")
        )
    callback = NotifySettings().sms_status_url
    assert callback.startswith(public)
    assert callback.endswith("/v1/sms/vonage/status" if provider == "vonage" else "/v1/sms/status")
    ref = str(uuid.uuid4())
    async with contextlib.aclosing(adapter):
        accepted = await adapter.send(
            Sms(to="+15550123456", body="Pathwise: hi", status_callback=callback, reference=ref)
        )
    for _ in range(500):
        if arrived.is_set():
            break
        await asyncio.sleep(0.02)
    assert reports == [(accepted.provider_id, "delivered", provider)]
    # The report names the message's reference (Twilio: in the signed callback URL).
    assert settled == [(ref, accepted.provider_id)]

    inbound = (
        f"{public}/v1/sms/vonage/inbound" if provider == "vonage" else f"{public}/v1/sms/inbound"
    )
    status = await sink.inbound(inbound, "+15550123456", "Stop", provider=provider)  # type: ignore[arg-type]
    assert status in (200, 204) and acted == [("+15550123456", "Stop")]
    async with real_client(transport=httpx.ASGITransport(app=app), base_url=public) as direct:
        unsigned = await direct.post(inbound, data={"msisdn": "15550123456", "text": "STOP"})
        assert unsigned.status_code == 403
        assert unsigned.headers["content-type"].startswith("application/problem+json")
    assert len(acted) == 1


async def test_the_sinks_page_lists_what_was_sent(sink: SmsSink) -> None:
    adapter = TwilioSms(sink.url, TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100"))
    async with contextlib.aclosing(adapter):
        await adapter.send(Sms(to="+15550123777", body="Pathwise: <b>listed</b>"))
    async with httpx.AsyncClient(base_url=sink.url) as client:
        page = (await client.get("/")).text
        listed = (await client.get("/messages")).json()
    assert "Pathwise: &lt;b&gt;listed&lt;/b&gt;" in page and "+15550123777" in page
    assert listed[-1]["body"] == "Pathwise: <b>listed</b>"


async def test_a_sent_message_is_found_again_by_its_reference(under: Under) -> None:
    """What the reconciler asks after a timeout: the provider has it, or it does not."""
    since = datetime.now(UTC)
    sms = Sms(to="+15550123499", body=f"Pathwise: {uuid.uuid4()}", reference=str(uuid.uuid4()))
    accepted = await under.provider.send(sms)
    found = await under.provider.lookup(sms, since)
    assert [a.provider_id for a in found] == [accepted.provider_id]
    never = Sms(to="+15550123499", body="Pathwise: never sent", reference=str(uuid.uuid4()))
    assert await under.provider.lookup(never, since) == []
