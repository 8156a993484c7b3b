"""path-svc in-process: evidence on Kafka becomes a path and mastery over HTTP."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

import httpx
import pytest
from path_support import guardian_linked, produce, recorded

from path_svc.main import SPEC
from pathwise_devstack.devtoken import mint_token
from pathwise_runtime.service import create_app
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration
SECRET = "x" * 32


def bearer(role: str, district: str = "d1", sub: str | None = None) -> dict[str, str]:
    token = mint_token(SECRET, role=role, district=district, sub=sub)
    return {"Authorization": f"Bearer {token}"}


async def eventually_ok(client: httpx.AsyncClient, url: str, timeout: float = 30) -> httpx.Response:
    async with asyncio.timeout(timeout):
        while True:
            response = await client.get(url, headers=bearer("teacher"))
            if response.status_code == 200:
                return response
            await asyncio.sleep(0.2)


async def test_path_mastery_and_framework_over_http(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    tag = secrets.token_hex(4)
    student, guardian = f"s-{tag}", f"g-{tag}"
    settings = ServiceSettings(
        DATABASE_URL=database(),
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        PATHWISE_AUTH_DEV_SECRET=SECRET,
        SERVICE_NAME=f"path-svc-test-{tag}",
        OUTBOX_POLL_INTERVAL_S=0.2,
    )
    app = create_app(SPEC, settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://path-svc") as client,
    ):
        await produce(
            kafka_bootstrap,
            [*(recorded(student, n) for n in range(4)), guardian_linked(student, guardian)],
        )
        path = (await eventually_ok(client, f"/v1/students/{student}/path")).json()
        mastery = (await eventually_ok(client, f"/v1/students/{student}/mastery")).json()
        # The guardian link travels on another topic and may land a moment later.
        async with asyncio.timeout(30):
            while (
                await client.get(
                    f"/v1/students/{student}/path", headers=bearer("guardian", sub=guardian)
                )
            ).status_code != 200:
                await asyncio.sleep(0.2)

        stranger = await client.get(
            f"/v1/students/{student}/mastery", headers=bearer("guardian", sub="g-other")
        )
        as_student = await client.get(f"/v1/students/{student}/path", headers=bearer("student"))
        other_district = await client.get(
            f"/v1/students/{student}/path", headers=bearer("teacher", district="d2")
        )
        unknown = await client.get("/v1/students/nobody/path", headers=bearer("admin"))
        anonymous = await client.get(f"/v1/students/{student}/path")
        framework = await client.get("/v1/framework", headers=bearer("service"))

    assert path["student_id"] == student and path["version"] >= 1
    assert 1 <= len(path["steps"]) <= 5
    assert all(step["competency_id"] != "3.OA.A.1" for step in path["steps"])
    [estimate] = mastery["competencies"]
    assert estimate["competency_id"] == "3.OA.A.1" and estimate["attempts"] == 4
    assert estimate["mastered"] and estimate["p_mastery"] >= 0.95

    assert stranger.status_code == 403 and as_student.status_code == 403
    for response in (other_district, unknown):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    assert anonymous.status_code == 401
    assert framework.status_code == 200 and framework.json()["name"] == "grade3-math"
    by_code = {c["code"]: c for c in framework.json()["competencies"]}
    assert by_code["3.OA.C.7"]["prerequisites"] == ["3.OA.B.5", "3.OA.B.6"]
