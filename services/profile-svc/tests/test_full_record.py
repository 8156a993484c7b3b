"""The full record export across the four services, and the one access log, in-process.

Ada has a result and an xAPI statement (assessment-svc), a path planned from
them (path-svc), a message sent to her mother and a staff alert to her
teacher (notify-svc), and her teacher read her profile, her path and her
results. Her mother's export holds every section with the right content, and
the access log shows the teacher's reads from each service; the export's own
reads of each service are logged as part of it. A service that is down fails
the export with its section named. Erasure removes it all.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from assessment_svc.main import SPEC as ASSESSMENT
from notify_svc.main import SPEC as NOTIFY
from path_svc.main import SPEC as PATH
from pathwise_contracts import (
    ACCESS_TOPICS,
    PROFILE_EVENTS,
    Channel,
    Envelope,
    Event,
    NotificationScheduled,
    NotificationSent,
    derive_event_id,
)
from pathwise_devstack import inprocess, simulation
from pathwise_devstack.inprocess import Running
from pathwise_devstack.service_fixtures import SECRET, bearer
from pathwise_runtime import replay
from pathwise_runtime.service import open_pool, prepare_database
from profile_svc.adapters.record_sections import RecordSections, RecordSettings
from profile_svc.main import SPEC as PROFILE
from profile_svc.projections.access_log import AccessLogProjection

pytestmark = [pytest.mark.integration, pytest.mark.isolation]

ADA = f"ada-{secrets.token_hex(4)}"
MUM, TEACHER = f"{ADA}-mum", f"{ADA}-t"
SECTION = f"{ADA}-math"
MBOX = f"mailto:{ADA}@students.example"
SLOW = 240  # generous: four services share two cores with other suites


def _enrollment() -> dict[str, Any]:
    return {
        "student_id": ADA,
        "school_id": "sch-1",
        "grade": "3",
        "section_ids": [SECTION],
        "display_name": "Ada Byron",
        "external_ids": {"sis": f"sis-{ADA}", "xapi_mbox": MBOX},
        "guardians": [
            {
                "guardian_id": MUM,
                "relationship": "mother",
                "email": "ada.mum@example.org",
                "language": "es",
                "consent": {"email": False},  # notify-svc plans nothing of its own
            }
        ],
    }


def _statement(activity: str) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "name": "Ada Byron", "mbox": MBOX},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/scored", "display": {"en-US": "scored"}},
        "object": {"id": activity},
        "result": {"score": {"raw": 4, "min": 0, "max": 5}},
        "timestamp": "2026-10-05T09:00:00Z",
    }


def _message(guardian: str, recipient: str, *, sent: bool) -> list[Envelope]:
    """What notify-svc's sender logs for one message: scheduled, then sent."""
    cause = uuid5(UUID(int=0), f"{ADA}/{guardian}")
    common: dict[str, Any] = {
        "student_id": ADA,
        "notification_id": derive_event_id(cause, guardian),
        "guardian_id": guardian,
        "recipient": recipient,
        "channel": Channel.EMAIL,
        "cause_event_id": cause,
    }
    at = datetime(2026, 10, 5, 16, tzinfo=UTC)
    events: list[Event] = [
        NotificationScheduled(**common, cause="competency_mastered", language="es", planned_at=at)
    ]
    if sent:
        events.append(NotificationSent(**common, template="competency_mastered"))
    return [
        Envelope.wrap(e, id=derive_event_id(cause, e.type), source="test", district_id="d1")
        for e in events
    ]


async def _produce(bootstrap: str, envelopes: list[Envelope]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for e in envelopes:
            headers = [("ce_type", e.type.encode()), ("ce_id", str(e.id).encode())]
            await producer.send_and_wait(
                e.event().topic, e.to_bytes(), key=e.subject.encode(), headers=headers
            )
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def _platform(
    database: Callable[[], str], bootstrap: str
) -> AsyncIterator[dict[str, Running]]:
    async with (
        inprocess.running(PROFILE, database(), bootstrap, secret=SECRET) as profile,
        inprocess.running(ASSESSMENT, database(), bootstrap, secret=SECRET) as assessment,
        inprocess.running(PATH, database(), bootstrap, secret=SECRET) as path,
        inprocess.running(NOTIFY, database(), bootstrap, secret=SECRET) as notify,
    ):
        running = {"assessment-svc": assessment, "path-svc": path, "notify-svc": notify}
        _connect(profile, running)
        yield {"profile-svc": profile, **running}


_OTHERS = ("assessment-svc", "path-svc", "notify-svc")


def _connect(profile: Running, others: dict[str, Running]) -> None:
    """profile-svc reaches the others' apps in this process, as it would over the network;
    a service not among ``others`` is at an address nobody answers."""
    transports = {
        name: httpx.ASGITransport(app=run.client._transport.app)  # type: ignore[attr-defined]
        for name, run in others.items()
    }
    urls = {n: f"http://{n}" if n in others else "http://127.0.0.1:9" for n in _OTHERS}
    settings = RecordSettings(
        ASSESSMENT_URL=urls["assessment-svc"],
        PATH_URL=urls["path-svc"],
        NOTIFY_URL=urls["notify-svc"],
    )
    profile.runtime.extras["record_sections"] = RecordSections(
        profile.runtime.settings, settings, transports=transports
    )


_LOG_ROWS = """SELECT at, district_id, actor, role, student_id, action, event_id, service, section,
                     endpoint, purpose, principal_district, export_id
                FROM access_log WHERE student_id = $1 ORDER BY event_id"""


async def _rebuilt_log(dsn: str, bootstrap: str) -> list[tuple[Any, ...]]:
    """Ada's access log rebuilt from the topics alone into a fresh database."""
    horizon = await replay.end_offsets(
        bootstrap, [*(t.name for t in ACCESS_TOPICS), PROFILE_EVENTS.name]
    )
    await prepare_database(dsn, PROFILE.migrations)
    pool = await open_pool(dsn, min_size=1, max_size=2)
    try:
        await replay.rebuild(AccessLogProjection(), pool, bootstrap, horizon)
        return [tuple(r.values()) for r in await pool.fetch(_LOG_ROWS, ADA)]
    finally:
        await pool.close()


async def _until(check: Callable[[], Any], what: str) -> Any:
    found: list[Any] = []

    async def holds() -> bool:
        value = await check()
        found[:] = [value]
        return bool(value)

    try:
        await inprocess.eventually(holds, SLOW)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}; last seen {found}")
    return found[0]


async def test_the_export_covers_every_service_and_the_log_every_read(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    admin, teacher = bearer("admin", "d1", sub="a-1"), bearer("teacher", "d1", sub=TEACHER)
    mum = bearer("guardian", "d1", sub=MUM)
    async with _platform(database, kafka_bootstrap) as svc:
        profile, assessment = svc["profile-svc"].client, svc["assessment-svc"].client
        path, notify = svc["path-svc"].client, svc["notify-svc"].client
        r = await profile.post("/v1/students", json=_enrollment(), headers=admin)
        assert r.status_code == 201, r.text
        r = await profile.put(
            f"/v1/sections/{SECTION}/teachers", json={"teacher_ids": [TEACHER]}, headers=admin
        )
        assert r.status_code == 204, r.text
        framework = (await path.get("/v1/framework", headers=admin)).json()
        first, second = simulation.learning_order(framework)[:2]
        activity = f"urn:pathwise:test:record:{second}"
        mapping = {"kind": "xapi_activity", "ref": activity, "competency_id": second}
        r = await assessment.put(
            "/v1/competency-mappings", json={"mappings": [mapping]}, headers=admin
        )
        assert r.is_success, r.text

        # Evidence once the roster is in everywhere (the statement needs Ada's identity).
        async def rostered() -> bool:
            a = await assessment.get(f"/v1/students/{ADA}/assessments", headers=teacher)
            return a.status_code == 200

        await _until(rostered, "the roster in assessment-svc")
        result = {
            "student_id": ADA,
            "competency_id": first,
            "score": 3,
            "max_score": 10,
            "occurred_at": "2026-10-05T09:00:00Z",
            "source": "quiz",
            "source_id": f"{ADA}-q1",
        }
        r = await assessment.post("/v1/assessments", json=result, headers=admin)
        assert r.status_code == 201, r.text
        xapi = {**bearer("service", "d1", sub="lms"), "X-Experience-API-Version": "1.0.3"}
        r = await assessment.post("/xapi/statements", json=_statement(activity), headers=xapi)
        assert r.status_code == 200, r.text
        await _produce(
            kafka_bootstrap,
            _message(MUM, "guardian", sent=True) + _message(TEACHER, "teacher", sent=True),
        )

        async def planned() -> Any:
            h = await path.get(f"/v1/students/{ADA}/path/history", headers=teacher)
            return h.status_code == 200 and h.json()

        history = await _until(planned, "Ada's path")
        assert history["replans"][0]["reason"]

        async def sent() -> bool:
            n = await notify.get(f"/v1/students/{ADA}/notifications", headers=admin)
            done = {(x["guardian_id"], x["status"]) for x in n.json()["notifications"]}
            return done >= {(MUM, "sent"), (TEACHER, "sent")}

        await _until(sent, "the delivery log")

        # The teacher reads Ada's record in three services.
        assert (await profile.get(f"/v1/students/{ADA}", headers=teacher)).status_code == 200
        assert (await path.get(f"/v1/students/{ADA}/path", headers=teacher)).status_code == 200
        r = await assessment.get(f"/v1/students/{ADA}/assessments", headers=teacher)
        assert r.status_code == 200

        async def results_in() -> bool:
            a = await assessment.get(f"/v1/students/{ADA}/assessments", headers=admin)
            return len(a.json()["assessments"]) >= 2  # the result and the statement's

        await _until(results_in, "both results")

        async def statement_read() -> bool:  # the vendor reads Ada's statements back
            query = {"agent": f'{{"mbox": "{MBOX}"}}'}
            r = await assessment.get("/xapi/statements", params=query, headers=xapi)
            return r.status_code == 200 and bool(r.json()["statements"])

        await _until(statement_read, "the statement in the LRS")

        async def logged() -> Any:
            log = (await profile.get(f"/v1/access-log?student_id={ADA}", headers=admin)).json()
            by = {(e["service"], e["section"]) for e in log if e["actor"] == TEACHER}
            read = {("profile-svc", "profile"), ("path-svc", "path"), ("assessment-svc", "results")}
            lms = {(e["service"], e["section"]) for e in log if e["actor"] == "lms"}
            return by >= read and ("assessment-svc", "statements") in lms and log

        log = await _until(logged, "the teacher's reads in the access log")
        path_read = next(
            e
            for e in log
            if (e["actor"], e["service"], e["section"]) == (TEACHER, "path-svc", "path")
        )
        assert path_read["endpoint"] == "GET /v1/students/{student_id}/path"
        assert path_read["role"] == "teacher" and path_read["principal_district"] == "d1"
        assert path_read["purpose"] == "record-read" and path_read["action"] == "read"

        # Only the export's own token reads a section.
        for who in (admin, teacher, bearer("service", "d1", sub="lms")):
            r = await path.get(f"/v1/students/{ADA}/record-section", headers=who)
            assert r.status_code == 403, r.text

        # The mother's export: every section, her messages only, the teacher's reads.
        r = await profile.get(f"/v1/students/{ADA}/full-record", headers=mum)
        assert r.status_code == 200, r.text
        record = r.json()
        assert record["schema"] == "pathwise.record-export.v1"
        assert record["language"] == "es" and record["exported_by"]["kind"] == "guardian"
        assert record["profile"]["student_id"] == ADA
        assert [g["guardian_id"] for g in record["profile"]["guardians"]] == [MUM]
        results = record["assessments"]["results"]
        assert {(x["competency_id"], x["score"]) for x in results} >= {(first, 3.0)}
        assert [s["object"]["id"] for s in record["assessments"]["statements"]] == [activity]
        assert record["learning"]["path"]["steps"]
        assert all(s["reason"] for s in record["learning"]["path"]["steps"])
        assert record["learning"]["history"][0]["reason"]
        assert {m["competency_id"] for m in record["learning"]["mastery"]} >= {first}
        messages = record["messages"]
        assert {m["guardian_id"] for m in messages} == {MUM}  # no staff alerts
        assert [(m["channel"], m["summary"]) for m in messages if m["status"] == "sent"] == [
            ("email", "competency_mastered")
        ]
        services = {e["service"] for e in record["access_log"] if e["actor"] == TEACHER}
        assert services >= {"profile-svc", "path-svc", "assessment-svc"}
        mine = [e for e in record["access_log"] if e.get("export_id") == record["export_id"]]
        assert (MUM, "export", "profile-svc") in [
            (e["actor"], e["action"], e["service"]) for e in mine
        ]

        # The export's reads of each service are logged as part of it, not as user reads.
        async def parts_logged() -> Any:
            log = (await profile.get(f"/v1/access-log?student_id={ADA}", headers=admin)).json()
            parts = [e for e in log if e.get("export_id") == record["export_id"]]
            return {e["service"] for e in parts} >= set(svc) and parts

        parts = await _until(parts_logged, "the export's reads of every service")
        assert {
            (e["role"], e["purpose"], e["action"]) for e in parts if e["role"] == "service"
        } == {("service", "record-export", "export")}

        # The log is a projection: rebuilt from the topics, it is the same.
        rebuilt = await _rebuilt_log(database(), kafka_bootstrap)
        live_pool = svc["profile-svc"].runtime.pool

        async def same() -> bool:
            return [tuple(r.values()) for r in await live_pool.fetch(_LOG_ROWS, ADA)] == rebuilt

        assert rebuilt and any(r[7] == "path-svc" for r in rebuilt)
        await _until(same, "the live access log to equal the rebuilt one")

        # The readable copy: the family's language, printable, self-contained.
        r = await profile.get(f"/v1/students/{ADA}/full-record.html", headers=mum)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert '<html lang="es" dir="ltr">' in r.text and "Expediente del estudiante" in r.text
        assert "@media print" in r.text and not re.search(r"<script|<link|src=", r.text)
        assert "competency_mastered" in r.text and TEACHER in r.text
        r = await profile.get(f"/v1/students/{ADA}/full-record.html?lang=ar", headers=admin)
        assert '<html lang="ar" dir="rtl">' in r.text

        # Who may not export; a service down fails the export, naming its section.
        r = await profile.get(f"/v1/students/{ADA}/full-record", headers=teacher)
        assert r.status_code == 403
        r = await profile.get(f"/v1/students/{ADA}/full-record", headers=bearer("admin", "d2"))
        assert r.status_code == 404
        r = await profile.get(f"/v1/students/{ADA}/full-record?lang=not a tag", headers=admin)
        assert r.status_code == 422 and "lang" in r.text
        down = {k: v for k, v in svc.items() if k != "notify-svc"}
        _connect(svc["profile-svc"], down)  # notify-svc: no transport, the URL is unreachable
        r = await profile.get(f"/v1/students/{ADA}/full-record", headers=admin)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["section"] == "messages" and r.json()["service"] == "notify-svc"
        _connect(svc["profile-svc"], {k: v for k, v in svc.items() if k != "profile-svc"})

        # Erasure removes it all: every section and the access log.
        assert (await profile.delete(f"/v1/students/{ADA}", headers=admin)).status_code == 204

        async def erased() -> bool:
            gone = [
                (await profile.get(f"/v1/students/{ADA}", headers=admin)).status_code == 404,
                (await path.get(f"/v1/students/{ADA}/path", headers=admin)).status_code == 404,
                not (await assessment.get(f"/v1/students/{ADA}/assessments", headers=admin))
                .json()
                .get("assessments"),
                not (await notify.get(f"/v1/students/{ADA}/notifications", headers=admin)).json()[
                    "notifications"
                ],
            ]
            return all(gone)

        await _until(erased, "the erasure in every service")

        async def log_gone() -> bool:
            log = await profile.get(f"/v1/access-log?student_id={ADA}", headers=admin)
            return log.json() == []

        await _until(log_gone, "the access log to drop Ada")
        r = await profile.get(f"/v1/students/{ADA}/full-record", headers=admin)
        assert r.status_code == 404
