"""A district publishes its framework: switched, each student replanned once, replay equal.

Through the publishing API and every path-svc projection on a hand-kept log
(see ``publishing_harness``): the publishing district moves to its package,
each of its students is replanned exactly once with the reason, evidence
is carried over through ``replacedBy``, the other district keeps its
framework until it picks a bundled one, a re-post changes nothing, a bad
package is refused with every problem listed and nothing appended, and a
replay from the log alone rebuilds every table row for row.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from path_support import START, recorded, rostered
from publishing_harness import (
    SOURCE,
    Live,
    admin,
    district_package,
    fresh_pool,
    replay,
    tables,
)

from path_svc.projections.frameworks import NotYetProjected
from pathwise_contracts import (
    DistrictFrameworkChanged,
    Envelope,
    FrameworkAdopted,
    FrameworkPublished,
    PathReplanned,
)

pytestmark = pytest.mark.integration


def bad_package() -> dict[str, Any]:
    package = district_package()
    package["CFItems"].append(dict(package["CFItems"][0]))  # the same item twice
    package["CFItems"].append({**package["CFItems"][3], "identifier": "other"})  # a code twice
    first, second = package["CFItems"][1]["identifier"], package["CFItems"][2]["identifier"]
    for origin, destination in ((first, second), (second, first), (first, "nowhere")):
        package["CFAssociations"].append(
            {
                "identifier": f"bad-{origin}-{destination}",
                "associationType": "precedes",
                "originNodeURI": {"identifier": origin},
                "destinationNodeURI": {"identifier": destination},
            }
        )
    return package


def replans(live: Live, student: str) -> list[PathReplanned]:
    return [
        e for _, e in live.log.events() if isinstance(e, PathReplanned) and e.student_id == student
    ]


def switches(live: Live) -> list[PathReplanned]:
    return [
        e
        for _, e in live.log.events()
        if isinstance(e, PathReplanned) and "framework changed" in e.reason
    ]


async def test_publishing_switches_the_district_replans_once_and_replays_the_same(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    pool = await fresh_pool(database)
    try:
        live = Live(pool, kafka_bootstrap)
        students = {"s-1": "d1", "s-2": "d1", "s-3": "d2"}
        for student, district in students.items():
            await live.publish(rostered(student, district=district))
        await live.publish([recorded("s-1", n, "3.OA.A.1", district="d1") for n in range(4)])
        await live.publish([recorded("s-3", n, "3.OA.A.1", district="d2") for n in range(2)])
        before = {s: len(replans(live, s)) for s in students}
        assert before["s-1"] > 0 and before["s-2"] > 0  # everyone has a path to change

        async with live.client() as http:
            posted = await http.post(
                "/v1/frameworks?name=d1-math", json=district_package(), headers=admin("d1")
            )
            await live.publish()
            again = await http.post(
                "/v1/frameworks?name=d1-math", json=district_package(), headers=admin("d1")
            )
            reposted = await live.relay()
            refused = await http.post(
                "/v1/frameworks?name=d1-math", json=bad_package(), headers=admin("d1")
            )
            nothing = await live.relay()
            d1_framework = (await http.get("/v1/framework", headers=admin("d1"))).json()
            d1_now = (await http.get("/v1/district/framework", headers=admin("d1"))).json()
            d2_now = (await http.get("/v1/district/framework", headers=admin("d2"))).json()
            d2_framework = (await http.get("/v1/framework", headers=admin("d2"))).json()
        async with pool.acquire() as conn:
            chosen = dict(await conn.fetch("SELECT district_id, name FROM district_frameworks"))
            carried = await conn.fetchval(
                "SELECT state->'estimates'->'3.OA.A.1a' FROM planners WHERE student_id = 's-1'"
            )
            kept = await conn.fetchval(
                "SELECT state->'estimates'->'3.OA.A.1' FROM planners WHERE student_id = 's-1'"
            )
        # Evidence on a new code counts, starting from the estimate carried over.
        await live.publish([recorded("s-1", 10, "3.OA.A.1b", district="d1")])
        async with pool.acquire() as conn:
            attempts = await conn.fetchval(
                """SELECT attempts FROM mastery
                    WHERE student_id = 's-1' AND competency_id = '3.OA.A.1b'"""
            )
        live_tables = await tables(pool)
    finally:
        await pool.close()

    assert posted.status_code == 202, posted.text
    assert posted.json()["district_changed"] is True and posted.json()["name"] == "d1-math"
    assert again.status_code == 202 and again.json()["district_changed"] is False
    assert reposted == []  # the re-post appended nothing
    assert chosen == {"d1": "d1-math"}  # d2 never chose: it keeps the default
    assert d1_framework["name"] == "d1-math" and d2_framework["name"] == "grade3-math"
    assert "3.OA.A.1a" in {c["code"] for c in d1_framework["competencies"]}
    assert (d1_now["name"], d1_now["version"]) == ("d1-math", "2026.2")
    assert d2_now == {"name": "grade3-math", "version": "1", "digest": None, "since": None}

    # Each student of d1 replanned exactly once for the change, with the reason; d2 not.
    changed = switches(live)
    assert sorted(e.student_id for e in changed) == ["s-1", "s-2"]
    assert all("3.OA.A.1 replaced by 3.OA.A.1a, 3.OA.A.1b" in e.reason for e in changed)
    adopted = [e for _, e in live.log.events() if isinstance(e, FrameworkAdopted)]
    assert sorted(e.student_id for e in adopted) == ["s-1", "s-2"]
    assert len(replans(live, "s-3")) == before["s-3"]
    assert json.loads(carried) == json.loads(kept)  # replacedBy carried estimate and attempts
    assert attempts == json.loads(kept)[1] + 1

    # A bad package: every problem listed, nothing appended, the district unchanged.
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    kinds = sorted(p["kind"] for p in refused.json()["errors"])
    assert kinds == ["cycle", "dangling", "duplicate", "duplicate"], refused.json()
    assert nothing == []

    # Replay from the log alone equals live, row for row.
    assert await replay(database, kafka_bootstrap, live.log) == live_tables


async def test_a_district_picks_a_bundled_framework_and_only_its_students_move(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    pool = await fresh_pool(database)
    try:
        live = Live(pool, kafka_bootstrap)
        for student, district in (("a-1", "d1"), ("b-1", "d2")):
            await live.publish(rostered(student, district=district))
            await live.publish([recorded(student, 1, "3.OA.A.1", district=district)])
        async with live.client() as http:
            unknown = await http.put(
                "/v1/district/framework", json={"name": "no-such"}, headers=admin("d2")
            )
            sibling = await http.put(  # a language's text file is not a framework of its own
                "/v1/district/framework", json={"name": "ccssm-3-5.es"}, headers=admin("d2")
            )
            picked = await http.put(
                "/v1/district/framework", json={"name": "ccssm-3-5"}, headers=admin("d2")
            )
            await live.publish()
        # A student first seen after the change adopts it too.
        await live.publish(rostered("b-2", district="d2"))
        await live.publish([recorded("b-2", 1, "3.OA.A.1", district="d2")])
        first = sorted(e.student_id for e in switches(live))
        async with live.client() as http:  # back and forth: each move is a change of its own
            for name in ("grade3-math", "ccssm-3-5"):
                await http.put("/v1/district/framework", json={"name": name}, headers=admin("d2"))
                await live.publish()
        live_tables = await tables(pool)
    finally:
        await pool.close()

    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "name"
    assert sibling.status_code == 422
    assert picked.status_code == 202 and picked.json()["district_changed"] is True
    events = [e for _, e in live.log.events()]
    changes = [e for e in events if isinstance(e, DistrictFrameworkChanged)]
    assert [(e.student_id, e.name) for e in changes] == [
        ("district:d2", "ccssm-3-5"),
        ("district:d2", "grade3-math"),
        ("district:d2", "ccssm-3-5"),
    ]
    published = [e for e in events if isinstance(e, FrameworkPublished)]
    assert published[0].content and len(published[0].content) == published[0].competencies
    assert first == ["b-1", "b-2"]
    assert sorted(e.student_id for e in switches(live)) == [
        "b-1",
        "b-1",
        "b-1",
        "b-2",
        "b-2",
        "b-2",
    ]
    assert await replay(database, kafka_bootstrap, live.log) == live_tables


async def test_an_adoption_ahead_of_the_frameworks_consumer_waits_instead_of_dead_lettering(
    database: Callable[[], str], kafka_bootstrap: str
) -> None:
    pool = await fresh_pool(database)
    try:
        live = Live(pool, kafka_bootstrap)
        await live.publish(rostered("c-1"))
        await live.publish([recorded("c-1", 1)])
        cause = uuid.uuid5(uuid.NAMESPACE_URL, "c-1/adopt")
        early = FrameworkAdopted(student_id="c-1", name="x", digest="f" * 64, cause_event_id=cause)
        envelope = Envelope.wrap(early, id=cause, source=SOURCE, district_id="d1", time=START)
        with pytest.raises(NotYetProjected):  # an OSError: the runtime retries the batch
            await live.appliers.planning.apply(live.log.append([envelope]))
        async with pool.acquire() as conn:
            dead = await conn.fetchval(
                "SELECT count(*) FROM pathwise_outbox WHERE topic LIKE '%.dlq'"
            )
    finally:
        await pool.close()
    assert dead == 0
