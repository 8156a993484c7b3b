"""Competency titles come from path-svc per district, cached; without them messages still go.

A local app answers ``GET /v1/framework`` in path-svc's shape, each district
its own framework (read from the caller's token, as path-svc does). The
adapter asks once per district within the TTL; the sender mails a Spanish
family the Spanish title, and with path-svc down it mails the code alone and
says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from notify_svc.adapters.competency_titles import CompetencyTitles
from notify_svc.adapters.contacts import ServiceCredentials
from notify_svc.adapters.outcome import OutcomeUnknown
from notify_svc.adapters.sms import Accepted, FakeSms, Sms
from notify_svc.projections import PlanningProjection
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_contracts import Channel, GuardianLinked
from pathwise_devstack.ports import free_port
from pathwise_devstack.smtp_sink import SmtpSink
from pathwise_runtime import metrics, problems
from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.auth import CurrentPrincipal, TokenVerifier
from pathwise_runtime.settings import ServiceSettings

S, CODE, PHONE = "s-1", "3.OA.C.7", "+15550123456"
SERVICE = ServiceSettings(PATHWISE_AUTH_DEV_SECRET="titles-tests-" + "x" * 32)
CREDENTIALS = ServiceCredentials(SERVICE, None)
SPANISH = "Multiplicar y dividir hasta 100"


def framework(titles: dict[str, str]) -> dict[str, Any]:
    """A framework as path-svc's ``GET /v1/framework`` answers it."""
    return {
        "name": "grade3-math",
        "title": "Grade 3 mathematics",
        "titles": {},
        "mastery_threshold": 0.95,
        "competencies": [
            {
                "code": CODE,
                "description": titles["en"] + ".",
                "descriptions": {k: f"{v}." for k, v in titles.items() if k != "en"},
                "prerequisites": [],
            }
        ],
    }


FRAMEWORKS = {
    "d1": framework({"en": "Multiply and divide within 100", "es": SPANISH}),
    "d2": framework({"en": "Their own words for it"}),
}


def path_app(asked: Counter[str], frameworks: dict[str, dict[str, Any]] = FRAMEWORKS) -> FastAPI:
    """Serves each district's framework to a service token of that district."""
    app = FastAPI()
    problems.install(app)
    app.state.token_verifier = TokenVerifier(SERVICE)

    @app.get("/v1/framework")
    async def get_framework(who: CurrentPrincipal) -> dict[str, Any]:
        asked[who.district] += 1
        return frameworks[who.district]

    return app


def counted(name: str, **labels: str) -> float:
    """A notify-svc counter's value on /metrics."""
    value = metrics.REGISTRY.get_sample_value(f"{name}_total", {"service": "notify-svc", **labels})
    return value or 0.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.unit
async def test_one_fetch_per_district_within_the_ttl_then_again() -> None:
    asked: Counter[str] = Counter()
    clock = Clock()
    titles = CompetencyTitles(
        "http://path",
        CREDENTIALS,
        ttl_s=300,
        transport=httpx.ASGITransport(app=path_app(asked)),
        clock=clock,
    )
    for _ in range(5):
        d1 = await titles.for_district("d1")
        d2 = await titles.for_district("d2")
    assert d1.names is not None and d1.names.name(CODE, "es").title == SPANISH
    assert d2.names is not None and d2.names.name(CODE, "en").title == "Their own words for it"
    assert asked == {"d1": 1, "d2": 1}
    clock.now += 301
    await titles.for_district("d1")
    assert asked == {"d1": 2, "d2": 1}
    await titles.aclose()


@pytest.mark.unit
async def test_path_svc_down_gives_no_titles_with_the_reason_and_is_not_asked_per_message() -> None:
    clock = Clock()
    calls: list[httpx.Request] = []
    up = True

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if not up:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=FRAMEWORKS["d1"])

    titles = CompetencyTitles(
        "http://path",
        CREDENTIALS,
        ttl_s=300,
        retry_s=60,
        stale_s=3600,
        transport=httpx.MockTransport(answer),
        clock=clock,
    )
    assert (await titles.for_district("d1")).names is not None
    up = False
    clock.now += 301  # due again, path-svc gone: the titles it had still serve
    assert (await titles.for_district("d1")).names is not None
    assert len(calls) == 2
    clock.now += 3600  # too old to keep using
    for _ in range(3):
        gone = await titles.for_district("d1")
        assert gone.names is None and gone.reason == "path-svc unreachable (ConnectError)"
    assert len(calls) == 3  # asked once, not once per message
    assert titles.unavailable == {"path-svc unreachable (ConnectError)": 3}


@pytest.mark.unit
async def test_an_error_answer_or_another_shape_is_no_titles() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"nope": 1})])
    clock = Clock()
    titles = CompetencyTitles(
        "http://path",
        CREDENTIALS,
        retry_s=1,
        transport=httpx.MockTransport(lambda _r: next(answers)),
        clock=clock,
    )
    assert (await titles.for_district("d1")).reason == "path-svc answered 503"
    clock.now += 2
    assert (await titles.for_district("d1")).reason == "path-svc framework unreadable (ValueError)"
    unset = CompetencyTitles(None, CREDENTIALS)
    assert (await unset.for_district("d1")).reason == "PATH_URL is not set"


Plan = Callable[[], Awaitable[None]]


@pytest.fixture
def plan(
    pool: tuple[str, asyncpg.Pool], kafka_bootstrap: str, log: Any, support: ModuleType
) -> Plan:
    """A Spanish family reached by mail and by text, then one mastered competency."""
    _, db = pool
    applier = BatchApplier(PlanningProjection(), db, kafka_bootstrap)
    t0, hour = support.T0, support.HOUR

    async def apply() -> None:
        texting = GuardianLinked(
            student_id=S,
            guardian_id="g-2",
            relationship="father",
            educational_rights=True,
            language="es-MX",
            phone=support.KEYRING.encrypt("g-2", PHONE),
            consent={Channel.EMAIL: False, Channel.SMS: True},
        )
        await applier.apply(
            [
                log.record(support.linked(S, "g-1", email="ana@x.org", language="es"), time=t0),
                log.record(texting, time=t0),
            ]
        )
        await applier.apply([log.record(support.mastered(S, CODE), time=t0 + hour)])

    return apply


def sender(
    pool: tuple[str, asyncpg.Pool],
    support: ModuleType,
    port: int,
    titles: Any,
    sms: FakeSms | None = None,
) -> Sender:
    dsn, db = pool
    return Sender(
        db,
        dsn,
        settings=NotifySettings(coalesce_window_s=0, smtp_host="127.0.0.1", smtp_port=port),
        keyring=support.KEYRING,
        source="urn:pathwise:notify-svc",
        sms=sms or FakeSms(),
        number_key=b"n" * 32,
        titles=titles,
    )


@pytest.mark.integration
async def test_a_spanish_family_reads_the_spanish_title_by_mail_and_text(
    pool: tuple[str, asyncpg.Pool], plan: Plan, support: ModuleType, tmp_path: Path
) -> None:
    await plan()
    asked: Counter[str] = Counter()
    titles = CompetencyTitles(
        "http://path", CREDENTIALS, transport=httpx.ASGITransport(app=path_app(asked))
    )
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        worker = sender(pool, support, sink.port, titles)
        await worker.run_once()
        await worker.run_once()
        (mail,) = sink.messages
    assert mail["subject"] == f"Competencia dominada: {SPANISH} ({CODE})"
    assert f"Su estudiante ha dominado: {SPANISH} ({CODE})." in mail["text"]
    assert isinstance(worker._sms, FakeSms)
    ((_, text),) = worker._sms.sent
    assert f"dominó {SPANISH} ({CODE})." in text.body
    assert asked == {"d1": 1}  # one fetch for the district's two messages
    assert worker.fallbacks == {} and worker.titles_unavailable == {}
    rows = await pool[1].fetch("SELECT channel, state, body FROM deliveries ORDER BY channel")
    # The text is kept as it went out (what the reconciler would look up).
    assert [(r["channel"], r["state"], r["body"]) for r in rows] == [
        ("email", "sent", None),
        ("sms", "sent", text.body),
    ]
    await worker.stop()


@pytest.mark.integration
async def test_path_svc_down_the_message_still_goes_with_the_code(
    pool: tuple[str, asyncpg.Pool], plan: Plan, support: ModuleType, tmp_path: Path
) -> None:
    await plan()
    reason = "path-svc unreachable (ConnectError)"
    before = counted("notify_titles_unavailable", reason=reason)
    titles = CompetencyTitles(f"http://127.0.0.1:{free_port()}", CREDENTIALS)
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        worker = sender(pool, support, sink.port, titles)
        await worker.run_once()
        await worker.run_once()
        (mail,) = sink.messages
    assert mail["subject"] == f"Competencia dominada: {CODE}"
    assert f"Su estudiante ha dominado: {CODE}." in mail["text"]
    assert isinstance(worker._sms, FakeSms)
    ((_, text),) = worker._sms.sent
    assert f"dominó {CODE}." in text.body
    states = await pool[1].fetch("SELECT state FROM deliveries")
    assert [r["state"] for r in states] == ["sent", "sent"]
    assert worker.titles_unavailable == {reason: 2}
    assert counted("notify_titles_unavailable", reason=reason) == before + 2
    await worker.stop()


@pytest.mark.integration
async def test_a_title_missing_in_spanish_goes_in_english_marked_and_counted(
    pool: tuple[str, asyncpg.Pool], plan: Plan, support: ModuleType, tmp_path: Path
) -> None:
    await plan()
    before = counted("notify_language_fallbacks", language="es")
    english_only = {"d1": framework({"en": "Multiply and divide within 100"})}
    titles = CompetencyTitles(
        "http://path",
        CREDENTIALS,
        transport=httpx.ASGITransport(app=path_app(Counter(), english_only)),
    )
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        worker = sender(pool, support, sink.port, titles)
        await worker.run_once()
        await worker.run_once()
        (mail,) = sink.messages
    marked = f"Multiply and divide within 100 ({CODE}, en inglés)"
    assert f"Su estudiante ha dominado: {marked}." in mail["text"]
    assert isinstance(worker._sms, FakeSms)
    assert f"({CODE}, en inglés)." in worker._sms.sent[0][1].body  # the title shortened to fit
    assert worker.fallbacks == {"es": 1, "es-MX": 1}
    assert counted("notify_language_fallbacks", language="es") == before + 2
    await worker.stop()


class AnswerLost(FakeSms):
    """Takes the first text but its answer never comes; looks texts up by their words,
    as Twilio's list of messages To a number is matched."""

    def __init__(self) -> None:
        super().__init__()
        self.lose = True

    async def send(self, sms: Sms) -> Accepted:
        accepted = await super().send(sms)
        if self.lose:
            self.lose = False
            raise OutcomeUnknown("read timeout")
        return accepted

    async def lookup(self, sms: Sms, since: Any) -> list[Accepted]:
        return [a for a, s in self.sent if s.body == sms.body]


@pytest.mark.integration
async def test_an_unknown_text_is_looked_up_as_it_went_out_even_once_titles_are_gone(
    pool: tuple[str, asyncpg.Pool], plan: Plan, support: ModuleType, tmp_path: Path
) -> None:
    await plan()
    provider = AnswerLost()
    up = CompetencyTitles(
        "http://path", CREDENTIALS, transport=httpx.ASGITransport(app=path_app(Counter()))
    )
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        first = sender(pool, support, sink.port, up, provider)
        await first.run_once()
        await first.run_once()
    state = await pool[1].fetchval("SELECT state FROM deliveries WHERE channel = 'sms'")
    assert state == "unknown" and SPANISH in provider.sent[0][1].body
    # path-svc is down now: rendered again, the text would name the code alone and not
    # be found, and a second text would go. The kept text is found.
    down = CompetencyTitles(f"http://127.0.0.1:{free_port()}", CREDENTIALS)
    later = sender(pool, support, 1, down, provider)
    assert (await later.reconcile_once())["record_sent"] == 1
    row = await pool[1].fetchrow("SELECT state, provider_id FROM deliveries WHERE channel = 'sms'")
    assert (row["state"], row["provider_id"]) == ("sent", provider.sent[0][0].provider_id)
    assert len(provider.sent) == 1
    await first.stop()
    await later.stop()
