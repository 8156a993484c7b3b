"""Migration 0011 turns each stored next-answer document into arrays with the same state."""

from __future__ import annotations

import json
from collections.abc import Callable

import asyncpg
import pytest

from path_svc.domain import catalogue, next_answer, response
from path_svc.main import SPEC
from pathwise_runtime import migrations

pytestmark = pytest.mark.integration


async def test_documents_become_the_same_state(database: Callable[[], str]) -> None:
    model = next_answer.for_framework(catalogue.load_default())
    state = response.StudentState()
    for n, code in enumerate(["3.OA.A.1", "3.NF.A.1", "3.OA.A.1", "3.MD.A.1"] * 3):
        response.update(model, state, code, float(n % 2))
    older = response.dump(state)
    del older["overall_slow"]  # written before the field existed: it takes its default
    older["skills"]["3.NF.A.1"] = older["skills"]["3.NF.A.1"][:-4]
    every = migrations.runtime_migrations() + migrations.folder_migrations(SPEC.migrations)
    before = [m for m in every if m[0] != "0011_response_state_arrays.sql"]
    conn = await asyncpg.connect(database())
    try:
        await migrations.migrate(conn, before)
        await conn.executemany(
            "INSERT INTO response_state (district_id, student_id, state) VALUES ('d1', $1, $2)",
            [("s-1", json.dumps(response.dump(state))), ("s-2", json.dumps(older))],
        )
        assert await migrations.migrate(conn, every) == ["0011_response_state_arrays.sql"]
        rows = await conn.fetch(
            "SELECT numbers, last_skill, skills FROM response_state ORDER BY student_id"
        )
    finally:
        await conn.close()
    assert [response.unpack(*r) for r in rows] == [state, response.load(older)]
