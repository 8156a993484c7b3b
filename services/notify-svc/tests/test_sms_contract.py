"""One set of cases for every SMS provider: the Twilio adapter against the dev sink, the fake.

If the sink and the fake ever disagree with the adapter about what is accepted
and what is refused (and whether a refusal is worth a retry), these fail.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from notify_svc import sms_webhooks
from notify_svc.sms import (
    FakeSms,
    Sms,
    SmsFailed,
    SmsProvider,
    TwilioCredentials,
    TwilioSms,
    VonageCredentials,
    VonageSms,
)
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
def under(request: pytest.FixtureRequest, sink: SmsSink) -> Under:
    if request.param == "fake":
        fake = FakeSms()
        return Under(fake, lambda: [s.body for _, s in fake.sent])
    start = len(sink.messages)
    adapter: SmsProvider
    if request.param == "vonage-at-sink":
        keys = VonageCredentials(sink.account_sid, sink.auth_token, "+15550100")
        adapter = VonageSms(sink.url, keys)
    else:
        adapter = TwilioSms(
            sink.url, TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100")
        )
    return Under(adapter, lambda: [m["body"] for m in sink.messages[start:]])


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
        await wrong.send(Sms(to="+15550123456", body="x"))
    assert refused.value.permanent and "401" in str(refused.value)
    vonage = VonageSms(sink.url, VonageCredentials(sink.account_sid, "wrong", "+15550100"))
    with pytest.raises(SmsFailed) as refused:
        await vonage.send(Sms(to="+15550123456", body="x"))
    assert refused.value.permanent and "Bad Credentials" in str(refused.value)
    right = TwilioSms(
        sink.url,
        TwilioCredentials(sink.account_sid, sink.auth_token, messaging_service_sid="MG1"),
    )
    accepted = await right.send(Sms(to="+15550123999", body="Pathwise: ünïcode ✓"))
    stored = [m for m in read_outbox(sink.outbox) if m["sid"] == accepted.provider_id]
    assert stored and stored[0]["body"] == "Pathwise: ünïcode ✓" and stored[0]["from"] == "MG1"


async def test_an_unreachable_provider_is_worth_a_retry() -> None:
    adapter = TwilioSms("http://127.0.0.1:9", TwilioCredentials("AC1", "t", "+15550100"))
    with pytest.raises(SmsFailed) as failed:
        await adapter.send(Sms(to="+15550123456", body="x"))
    assert not failed.value.permanent


async def test_the_sinks_signed_status_callback_is_accepted_by_the_webhook(
    sink: SmsSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sink signs its delivery report as the provider does; notify-svc verifies it."""
    public = "http://notify.example"
    monkeypatch.setenv("SMS_AUTH_TOKEN", sink.auth_token)
    monkeypatch.setenv("NOTIFY_PUBLIC_URL", public)
    reports: list[tuple[str, str]] = []
    arrived = threading.Event()  # set on the sink's own thread and loop

    async def fetch(_query: str, provider_id: str, status: str) -> list[int]:
        reports.append((provider_id, status))
        arrived.set()
        return [1]

    app = FastAPI()
    problems.install(app)
    app.include_router(sms_webhooks.router)
    app.state.runtime = SimpleNamespace(settings=None, pool=SimpleNamespace(fetch=fetch))
    real_client = httpx.AsyncClient

    def client(**kwargs: Any) -> httpx.AsyncClient:
        mounts = {public: httpx.ASGITransport(app=app)}
        return real_client(mounts=mounts, **kwargs)

    monkeypatch.setattr(sms_sink.httpx, "AsyncClient", client)
    adapter = TwilioSms(sink.url, TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100"))
    accepted = await adapter.send(
        Sms(to="+15550123456", body="Pathwise: hi", status_callback=f"{public}/v1/sms/status")
    )
    for _ in range(500):
        if arrived.is_set():
            break
        await asyncio.sleep(0.02)
    assert reports == [(accepted.provider_id, "delivered")]


async def test_the_sinks_page_lists_what_was_sent(sink: SmsSink) -> None:
    adapter = TwilioSms(sink.url, TwilioCredentials(sink.account_sid, sink.auth_token, "+15550100"))
    await adapter.send(Sms(to="+15550123777", body="Pathwise: <b>listed</b>"))
    async with httpx.AsyncClient(base_url=sink.url) as client:
        page = (await client.get("/")).text
        listed = (await client.get("/messages")).json()
    assert "Pathwise: &lt;b&gt;listed&lt;/b&gt;" in page and "+15550123777" in page
    assert listed[-1]["body"] == "Pathwise: <b>listed</b>"
