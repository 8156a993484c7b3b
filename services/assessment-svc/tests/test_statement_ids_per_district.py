"""A statement id belongs to its district's LRS: two districts that use one id hold
two statements, neither learns that the other exists (no 409), and a void in one
leaves the other standing."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from standards_support import XAPI_HEADERS

from assessment_svc.main import SPEC
from pathwise_devstack import inprocess
from pathwise_devstack.service_fixtures import SECRET, bearer
from pathwise_devstack.stack import Infrastructure

pytestmark = [pytest.mark.integration, pytest.mark.isolation]

D1, D2 = bearer("service", "d1") | XAPI_HEADERS, bearer("service", "d2") | XAPI_HEADERS


@pytest.fixture(scope="module")
async def lrs(module_database: str, infrastructure: Infrastructure) -> AsyncIterator[Any]:
    bootstrap = infrastructure.bootstrap_servers
    async with inprocess.running(SPEC, module_database, bootstrap, secret=SECRET) as run:
        yield run.client


def _statement(sid: str, mbox: str, verb: str = "experienced") -> dict[str, Any]:
    return {
        "id": sid,
        "actor": {"mbox": mbox},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": {"id": "https://lms.example/course/fractions"},
    }


def _url(sid: str, param: str = "statementId") -> str:
    return f"/xapi/statements?{param}={sid}"


async def _projected(client: Any, headers: dict[str, str], mbox: str) -> None:
    """Until the statements projection (not only the command side) holds it."""

    async def listed() -> bool:
        params = {"agent": json.dumps({"mbox": mbox}), "format": "ids"}
        r = await client.get("/xapi/statements", params=params, headers=headers)
        return r.status_code == 200 and bool(r.json()["statements"])

    await inprocess.eventually(listed, 60)


async def test_comm_2_1_two_districts_put_one_statement_id_and_each_keeps_its_own(
    lrs: Any,
) -> None:
    sid = str(uuid.uuid4())
    a, b = (f"mailto:{secrets.token_hex(4)}@x.example" for _ in range(2))
    assert (await lrs.put(_url(sid), json=_statement(sid, a), headers=D1)).status_code == 204
    r = await lrs.put(_url(sid), json=_statement(sid, b, "attempted"), headers=D2)
    assert r.status_code == 204, r.text  # not a 409: d2 learns nothing of d1
    assert (await lrs.get(_url(sid), headers=D1)).json()["actor"]["mbox"] == a
    assert (await lrs.get(_url(sid), headers=D2)).json()["actor"]["mbox"] == b
    await _projected(lrs, D1, a)
    await _projected(lrs, D2, b)
    assert (await lrs.get(_url(sid), headers=D1)).json()["actor"]["mbox"] == a
    assert (await lrs.get(_url(sid), headers=D2)).json()["actor"]["mbox"] == b
    # The same content again in d2 is still "no change"; other content is d2's conflict.
    assert (
        await lrs.put(_url(sid), json=_statement(sid, b, "attempted"), headers=D2)
    ).status_code == 204
    assert (await lrs.put(_url(sid), json=_statement(sid, a), headers=D2)).status_code == 409


async def test_comm_2_2_a_void_in_one_district_leaves_the_others_statement(lrs: Any) -> None:
    sid, void_id = str(uuid.uuid4()), str(uuid.uuid4())
    a, b = (f"mailto:{secrets.token_hex(4)}@x.example" for _ in range(2))
    await lrs.put(_url(sid), json=_statement(sid, a), headers=D1)
    await lrs.put(_url(sid), json=_statement(sid, b), headers=D2)
    voiding = {
        "id": void_id,
        "actor": {"mbox": a},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": sid},
    }
    assert (await lrs.post("/xapi/statements", json=voiding, headers=D1)).status_code == 200
    await _projected(lrs, D2, b)

    async def voided_in_d1() -> bool:
        return (await lrs.get(_url(sid, "voidedStatementId"), headers=D1)).status_code == 200

    await inprocess.eventually(voided_in_d1, 60)
    assert (await lrs.get(_url(sid), headers=D1)).status_code == 404
    r = await lrs.get(_url(sid), headers=D2)
    assert r.status_code == 200 and r.json()["actor"]["mbox"] == b
    assert (await lrs.get(_url(sid, "voidedStatementId"), headers=D2)).status_code == 404
    assert (await lrs.get(_url(void_id), headers=D2)).status_code == 404


async def test_comm_2_1_every_statement_of_a_batch_is_stored_and_projected(lrs: Any) -> None:
    mbox = f"mailto:{secrets.token_hex(4)}@x.example"
    batch = [_statement(str(uuid.uuid4()), mbox) for _ in range(5)]
    r = await lrs.post("/xapi/statements", json=batch, headers=D1)
    assert r.status_code == 200 and r.json() == [s["id"] for s in batch]
    params = {"agent": json.dumps({"mbox": mbox}), "format": "ids"}

    async def all_listed() -> bool:
        r = await lrs.get("/xapi/statements", params=params, headers=D1)
        return r.status_code == 200 and len(r.json()["statements"]) == len(batch)

    await inprocess.eventually(all_listed, 60)
    r = await lrs.get("/xapi/statements", params=params, headers=D1)
    consistent = r.headers["X-Experience-API-Consistent-Through"]
    assert consistent >= max(s["stored"] for s in r.json()["statements"])  # none left behind
