"""xAPI 1.0.3 document resources over HTTP, one test per requirement, named by the
section of the Communication part it checks (1.3 alternate request syntax, 2.3
State, 2.4 Agents, 2.5 Activities, 2.6 Agent Profile, 2.7 Activity Profile, 3.1
Concurrency)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from standards_support import XAPI_HEADERS, tell_profile, xapi_learner

from assessment_svc.main import SPEC
from pathwise_contracts import SubjectErased
from pathwise_devstack import inprocess
from pathwise_devstack.service_fixtures import SECRET, bearer
from pathwise_devstack.stack import Infrastructure

pytestmark = pytest.mark.integration

ACTIVITY = "https://lms.example/course/fractions"
BASIC_KEY, BASIC_SECRET = "lms", "s3cret"


def _agent(name: str | None = None) -> str:
    return json.dumps(
        {"objectType": "Agent", "mbox": f"mailto:{name or secrets.token_hex(4)}@x.example"}
    )


def _state_url(agent: str, state_id: str | None = "bookmark", **extra: str) -> str:
    params = {"activityId": ACTIVITY, "agent": agent, **extra}
    if state_id is not None:
        params["stateId"] = state_id
    return "/xapi/activities/state?" + urlencode(params)


@pytest.fixture(scope="module")
async def shared(module_database: str, infrastructure: Infrastructure) -> AsyncIterator[Any]:
    """One service for the module: documents need no topic, and each check its own agent.
    An LRS client of d2 signs in with Basic credentials."""
    bootstrap = infrastructure.bootstrap_servers
    with pytest.MonkeyPatch.context() as env:
        env.setenv("XAPI_BASIC_CREDENTIALS", f"{BASIC_KEY}:{BASIC_SECRET}:d2")
        async with inprocess.running(SPEC, module_database, bootstrap, secret=SECRET) as run:
            yield run


@pytest.fixture
def lrs(shared: Any) -> tuple[Any, dict[str, str]]:
    return shared.client, bearer("service", "d1") | XAPI_HEADERS


async def test_comm_2_3_state_put_then_get_returns_the_document_with_its_etag(lrs: Any) -> None:
    client, headers = lrs
    agent = _agent()
    content = b'{"page": 7}'
    r = await client.put(
        _state_url(agent), content=content, headers=headers | {"Content-Type": "application/json"}
    )
    assert r.status_code == 204, r.text
    r = await client.get(_state_url(agent), headers=headers)
    assert r.status_code == 200 and r.content == content
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["etag"] == f'"{hashlib.sha1(content).hexdigest()}"'
    assert "last-modified" in r.headers and r.headers["x-experience-api-version"] == "1.0.3"


async def test_comm_2_3_state_post_merges_json_objects(lrs: Any) -> None:
    client, headers = lrs
    agent, json_type = _agent(), headers | {"Content-Type": "application/json"}
    await client.post(_state_url(agent), json={"a": 1, "b": 1}, headers=json_type)
    r = await client.post(_state_url(agent), json={"b": 2, "c": 3}, headers=json_type)
    assert r.status_code == 204, r.text
    assert (await client.get(_state_url(agent), headers=headers)).json() == {"a": 1, "b": 2, "c": 3}


async def test_comm_2_3_state_post_over_a_non_json_document_is_400(lrs: Any) -> None:
    client, headers = lrs
    agent = _agent()
    await client.put(
        _state_url(agent), content=b"raw", headers=headers | {"Content-Type": "text/plain"}
    )
    r = await client.post(
        _state_url(agent), json={"b": 2}, headers=headers | {"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["field"] == "body"
    assert (await client.get(_state_url(agent), headers=headers)).content == b"raw"


async def test_comm_2_3_state_ids_without_state_id_and_since_filters(lrs: Any) -> None:
    client, headers = lrs
    agent = _agent()
    for name in ("s1", "s2"):
        await client.put(_state_url(agent, name), json={"n": name}, headers=headers)
    r = await client.get(_state_url(agent, None), headers=headers)
    assert r.json() == ["s1", "s2"]
    later = datetime.now(UTC).isoformat()
    r = await client.get(_state_url(agent, None, since=later), headers=headers)
    assert r.json() == []


async def test_comm_2_3_state_is_kept_per_registration(lrs: Any) -> None:
    client, headers = lrs
    agent, registration = _agent(), str(uuid.uuid4())
    await client.put(_state_url(agent, registration=registration), json={"r": 1}, headers=headers)
    assert (await client.get(_state_url(agent), headers=headers)).status_code == 404
    r = await client.get(_state_url(agent, registration=registration), headers=headers)
    assert r.json() == {"r": 1}
    r = await client.get(_state_url(agent, registration="not-a-uuid"), headers=headers)
    assert r.status_code == 400 and r.json()["field"] == "registration"


async def test_comm_2_3_state_delete_one_and_delete_all(lrs: Any) -> None:
    client, headers = lrs
    agent = _agent()
    for name in ("s1", "s2", "s3"):
        await client.put(_state_url(agent, name), json={}, headers=headers)
    assert (await client.delete(_state_url(agent, "s1"), headers=headers)).status_code == 204
    assert (await client.get(_state_url(agent, None), headers=headers)).json() == ["s2", "s3"]
    assert (await client.delete(_state_url(agent, None), headers=headers)).status_code == 204
    assert (await client.get(_state_url(agent, None), headers=headers)).json() == []


async def test_comm_2_3_state_rejects_missing_or_malformed_parameters(lrs: Any) -> None:
    client, headers = lrs
    bad = {
        "/xapi/activities/state?" + urlencode({"agent": _agent(), "stateId": "x"}): "activityId",
        "/xapi/activities/state?" + urlencode({"activityId": ACTIVITY, "stateId": "x"}): "agent",
        _state_url('{"name": "no identifier"}'): "agent",
        "/xapi/activities/state?"
        + urlencode({"activityId": "not an iri", "agent": _agent(), "stateId": "x"}): "activityId",
    }
    for url, field in bad.items():
        r = await client.put(url, json={}, headers=headers)
        assert r.status_code == 400 and r.json()["field"] == field, (url, r.text)
    r = await client.put(_state_url(_agent(), None), json={}, headers=headers)
    assert r.status_code == 400 and r.json()["field"] == "stateId"


async def test_comm_2_3_state_needs_the_version_header_and_credentials(lrs: Any) -> None:
    client, headers = lrs
    no_version = {k: v for k, v in headers.items() if k != "X-Experience-API-Version"}
    r = await client.get(_state_url(_agent()), headers=no_version)
    assert r.status_code == 400
    r = await client.get(_state_url(_agent()), headers=XAPI_HEADERS)
    assert r.status_code == 401


async def test_comm_2_3_state_of_one_district_is_not_anothers(lrs: Any) -> None:
    client, headers = lrs
    agent = _agent()
    await client.put(_state_url(agent), json={"mine": True}, headers=headers)
    other = bearer("service", "d2") | XAPI_HEADERS
    assert (await client.get(_state_url(agent), headers=other)).status_code == 404


def _profile_url(kind: str, profile_id: str | None, agent: str | None = None, **extra: str) -> str:
    params: dict[str, str] = (
        {"agent": agent or ""} if kind == "agents" else {"activityId": ACTIVITY + "/profiled"}
    )
    params |= extra
    if profile_id is not None:
        params["profileId"] = profile_id
    return f"/xapi/{kind}/profile?" + urlencode(params)


@pytest.mark.parametrize("kind", ["agents", "activities"])
async def test_comm_2_6_2_7_profile_put_get_post_and_delete(lrs: Any, kind: str) -> None:
    client, headers = lrs
    agent, name = _agent(), f"p-{secrets.token_hex(3)}"
    url = _profile_url(kind, name, agent)
    r = await client.put(url, json={"theme": "dark"}, headers=headers | {"If-None-Match": "*"})
    assert r.status_code == 204, r.text
    r = await client.get(url, headers=headers)
    etag = r.headers["etag"]
    assert r.json() == {"theme": "dark"}
    r = await client.post(url, json={"size": 2}, headers=headers | {"If-Match": etag})
    assert r.status_code == 204, r.text
    assert (await client.get(url, headers=headers)).json() == {"theme": "dark", "size": 2}
    assert name in (await client.get(_profile_url(kind, None, agent), headers=headers)).json()
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


@pytest.mark.parametrize("kind", ["agents", "activities"])
async def test_comm_3_1_profile_put_over_an_existing_document_needs_a_precondition(
    lrs: Any, kind: str
) -> None:
    client, headers = lrs
    url = _profile_url(kind, f"p-{secrets.token_hex(3)}", _agent())
    assert (await client.put(url, json={"v": 1}, headers=headers)).status_code == 204
    r = await client.put(url, json={"v": 2}, headers=headers)
    assert r.status_code == 409 and r.json()["field"] == "If-Match"
    etag = (await client.get(url, headers=headers)).headers["etag"]
    r = await client.put(url, json={"v": 2}, headers=headers | {"If-Match": etag})
    assert r.status_code == 204
    assert (await client.get(url, headers=headers)).json() == {"v": 2}


@pytest.mark.parametrize("kind", ["agents", "activities"])
async def test_comm_3_1_a_stale_or_unwanted_etag_is_412_and_changes_nothing(
    lrs: Any, kind: str
) -> None:
    client, headers = lrs
    url = _profile_url(kind, f"p-{secrets.token_hex(3)}", _agent())
    await client.put(url, json={"v": 1}, headers=headers)
    stale = f'"{hashlib.sha1(b"something else").hexdigest()}"'
    for precondition in ({"If-Match": stale}, {"If-None-Match": "*"}):
        r = await client.put(url, json={"v": 9}, headers=headers | precondition)
        assert r.status_code == 412, (precondition, r.text)
    r = await client.delete(url, headers=headers | {"If-Match": stale})
    assert r.status_code == 412
    assert (await client.get(url, headers=headers)).json() == {"v": 1}


async def test_comm_2_4_agents_returns_a_person_object(lrs: Any) -> None:
    client, headers = lrs
    agent = {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@x.example"}
    r = await client.get("/xapi/agents?" + urlencode({"agent": json.dumps(agent)}), headers=headers)
    assert r.status_code == 200
    assert r.json() == {"objectType": "Person", "name": ["Ada"], "mbox": ["mailto:ada@x.example"]}
    r = await client.get("/xapi/agents", headers=headers)
    assert r.status_code == 400 and r.json()["field"] == "agent"


async def test_comm_2_5_activities_returns_the_activity_object(lrs: Any) -> None:
    client, headers = lrs
    r = await client.get("/xapi/activities?" + urlencode({"activityId": ACTIVITY}), headers=headers)
    assert r.json() == {"objectType": "Activity", "id": ACTIVITY}
    r = await client.get("/xapi/activities", headers=headers)
    assert r.status_code == 400 and r.json()["field"] == "activityId"


@pytest.mark.isolation
async def test_an_erased_students_documents_and_attachments_are_gone(
    shared: Any, kafka_bootstrap: str
) -> None:
    service, wait_until = shared, inprocess.eventually
    client, admin = service.client, bearer("admin", "d1")
    student = f"stu-{secrets.token_hex(4)}"
    mbox, _ = await xapi_learner(service, admin, kafka_bootstrap, student)
    pool = service.runtime.pool

    async def known() -> bool:
        return bool(await pool.fetchval("SELECT 1 FROM identities WHERE student_id = $1", student))

    await wait_until(known)
    agent = json.dumps({"mbox": mbox})
    headers = admin | XAPI_HEADERS
    await client.put(_state_url(agent), json={"page": 3}, headers=headers)
    await client.put(_profile_url("agents", "prefs", agent), json={"x": 1}, headers=headers)
    essay = b"an essay with the student's name in it"
    boundary = "b0undary"
    statement = {
        "actor": {"mbox": mbox},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": ACTIVITY},
        "attachments": [
            {
                "usageType": "https://x.example/essay",
                "display": {"en-US": "essay"},
                "contentType": "text/plain",
                "length": len(essay),
                "sha2": hashlib.sha256(essay).hexdigest(),
            }
        ],
    }
    multipart = (
        (
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(statement)}\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\nX-Experience-API-Hash: "
            f"{hashlib.sha256(essay).hexdigest()}\r\n\r\n"
        ).encode()
        + essay
        + f"\r\n--{boundary}--".encode()
    )
    kind = f"multipart/mixed; boundary={boundary}"
    r = await client.post(
        "/xapi/statements", content=multipart, headers=headers | {"Content-Type": kind}
    )
    assert r.status_code == 200, r.text
    assert await pool.fetchval("SELECT count(*) FROM xapi_attachments") == 1
    stored = await pool.fetchval(
        "SELECT content FROM xapi_documents WHERE resource = 'state' ORDER BY updated DESC LIMIT 1"
    )
    assert b"page" not in bytes(stored)  # sealed under the agent's key
    erased = SubjectErased(
        student_id=student,
        version=2,
        subject_id=student,
        kind="student",
        erased_at=datetime.now(UTC),
    )
    await tell_profile(kafka_bootstrap, erased)

    async def tombstoned() -> bool:
        return bool(
            await pool.fetchval("SELECT 1 FROM erased_students WHERE student_id = $1", student)
        )

    await wait_until(tombstoned)
    assert await pool.fetchval("SELECT count(*) FROM xapi_attachments") == 0
    assert (await client.get(_state_url(agent), headers=headers)).status_code == 404
    assert (
        await client.get(_profile_url("agents", "prefs", agent), headers=headers)
    ).status_code == 404
    r = await client.put(_state_url(agent), json={"page": 4}, headers=headers)
    assert r.status_code == 204  # taken, not kept
    assert (await client.get(_state_url(agent), headers=headers)).status_code == 404


def _form(headers: dict[str, str], **fields: str) -> dict[str, Any]:
    """The alternate syntax: the headers and parameters as form fields."""
    return {
        "data": {**headers, **fields},
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }


async def test_comm_1_3_alternate_syntax_stands_for_put_and_get(lrs: Any) -> None:
    client, headers = lrs
    agent = _agent()
    put = _form(
        headers,
        activityId=ACTIVITY,
        agent=agent,
        stateId="alt",
        content='{"via": "form"}',
        **{"Content-Type": "application/json"},
    )
    r = await client.post("/xapi/activities/state?method=PUT", **put)
    assert r.status_code == 204, r.text
    get = _form(headers, activityId=ACTIVITY, agent=agent, stateId="alt")
    r = await client.post("/xapi/activities/state?method=GET", **get)
    assert r.status_code == 200 and r.json() == {"via": "form"}
    assert r.headers["x-experience-api-version"] == "1.0.3"


async def test_comm_1_3_alternate_syntax_posts_statements(lrs: Any) -> None:
    client, headers = lrs
    statement = {
        "actor": json.loads(_agent()),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": ACTIVITY},
    }
    form = _form(headers, content=json.dumps(statement), **{"Content-Type": "application/json"})
    r = await client.post("/xapi/statements?method=POST", **form)
    assert r.status_code == 200, r.text
    [statement_id] = r.json()
    r = await client.get(f"/xapi/statements?statementId={statement_id}", headers=headers)
    assert r.status_code == 200 and r.json()["verb"]["id"].endswith("experienced")


@pytest.mark.parametrize(
    ("query", "content_type", "field"),
    [
        ("method=PUT&stateId=x", "application/x-www-form-urlencoded", "stateId"),
        ("method=PATCH", "application/x-www-form-urlencoded", "method"),
        ("method=PUT", "application/json", "Content-Type"),
    ],
)
async def test_comm_1_3_alternate_syntax_refusals_name_the_problem(
    lrs: Any, query: str, content_type: str, field: str
) -> None:
    client, headers = lrs
    r = await client.post(
        f"/xapi/activities/state?{query}",
        content=urlencode(headers),
        headers={"Content-Type": content_type},
    )
    assert r.status_code == 400 and r.json()["field"] == field, r.text


def _basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"} | XAPI_HEADERS


async def test_comm_3_4_basic_credentials_speak_for_their_district(lrs: Any) -> None:
    client, d1 = lrs
    agent = _agent()
    r = await client.put(
        _state_url(agent), json={"by": "basic"}, headers=_basic(BASIC_KEY, BASIC_SECRET)
    )
    assert r.status_code == 204, r.text
    d2 = bearer("service", "d2") | XAPI_HEADERS
    assert (await client.get(_state_url(agent), headers=d2)).json() == {"by": "basic"}
    assert (await client.get(_state_url(agent), headers=d1)).status_code == 404
    r = await client.get(_state_url(agent), headers=_basic(BASIC_KEY, "wrong"))
    assert r.status_code == 401
