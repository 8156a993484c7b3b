"""The whole path-svc on the broker: a publication replans the district, and
``pathwise replay path-svc --verify`` (frameworks first) rebuilds the same rows."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from path_support import produce, recorded, rostered
from publishing_harness import district_package

from path_svc.main import SPEC
from pathwise_devstack import inprocess
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.stack import Infrastructure
from pathwise_devstack.verification import replay_service

pytestmark = pytest.mark.integration
SECRET = "l" * 32


async def test_a_publication_on_the_broker_replans_each_student_and_replays_equal(
    database: Callable[[], str], infrastructure: Infrastructure
) -> None:
    tag = secrets.token_hex(3)
    district, students = f"dp-{tag}", [f"p-{tag}-{i}" for i in range(3)]
    bootstrap = infrastructure.bootstrap_servers
    admin = {"Authorization": f"Bearer {mint_token(SECRET, role='admin', district=district)}"}
    dsn = database()
    async with inprocess.running(SPEC, dsn, bootstrap, secret=SECRET) as run:
        await produce(
            bootstrap,
            [
                *(e for s in students for e in rostered(s, district=district)),
                *(recorded(s, n, district=district) for s in students for n in range(2)),
            ],
        )

        async def history(student: str) -> list[str]:
            r = await run.client.get(f"/v1/students/{student}/path/history", headers=admin)
            return [h["reason"] for h in r.json()["replans"]] if r.status_code == 200 else []

        async def planned() -> bool:
            return all([await history(s) for s in students])

        await inprocess.eventually(planned, 240)
        posted = await run.client.post(
            "/v1/frameworks?name=d-math", json=district_package(), headers=admin
        )
        assert posted.status_code == 202, posted.text

        async def switched() -> bool:
            reasons = [await history(s) for s in students]
            return all(any("framework changed" in r for r in rs) for rs in reasons)

        await inprocess.eventually(switched, 240)
        framework = await run.client.get("/v1/framework", headers=admin)
        for s in students:
            changes = [r for r in await history(s) if "framework changed" in r]
            assert len(changes) == 1 and "3.OA.A.1 replaced by 3.OA.A.1a, 3.OA.A.1b" in changes[0]
        report = await replay_service(
            "path-svc",
            live_dsn=dsn,
            admin_dsn=infrastructure.admin_dsn,
            bootstrap=bootstrap,
            verify=True,
            timeout=120,
            secret=SECRET,
        )
    assert framework.json()["name"] == "d-math"
    assert report.verified, report.as_dict()
    assert {"frameworks", "district_frameworks", "planners"} <= set(report.tables)
