"""Migration 0006 re-keys path-svc's tables by (district, student) and keeps their rows:
a district is learnt from the same student's rows that had one."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest

from path_svc.main import SPEC
from pathwise_runtime import migrations

pytestmark = pytest.mark.integration

BEFORE = """
INSERT INTO mastery VALUES ('s-1', '3.OA.A.1', 'd1', 0.5, 2, false, '2026-09-01', NULL);
INSERT INTO evidence VALUES ('s-1', gen_random_uuid(), '3.OA.A.1', 1, 0, 7, '2026-09-01', false);
INSERT INTO paths VALUES ('s-1', 'd1', 1, '[]', '2026-09-01');
INSERT INTO path_history VALUES ('s-1', 1, '[]', '[]', '[]', 'first', gen_random_uuid(),
                                 '2026-09-01');
INSERT INTO student_access (district_id, student_id, erased) VALUES ('d2', 's-9', true);
INSERT INTO erased_students VALUES ('s-9', '2026-09-02');
"""


async def test_rows_keep_their_district(database: Callable[[], str]) -> None:
    every = migrations.runtime_migrations() + migrations.folder_migrations(SPEC.migrations)
    # 0010 drops an index 0006 rebuilds: a database at 0005 gets both, in order.
    later = ("0006_district_keys.sql", "0010_evidence_index.sql", "0011_response_state_arrays.sql")
    old = [m for m in every if m[0] not in later]
    conn = await asyncpg.connect(database())
    try:
        await migrations.migrate(conn, old)
        await conn.execute(BEFORE)
        assert await migrations.migrate(conn, every) == list(later)
        evidence = await conn.fetchval("SELECT district_id FROM evidence WHERE student_id = 's-1'")
        history = await conn.fetchval("SELECT district_id FROM path_history")
        erased = await conn.fetchval("SELECT district_id FROM erased_students")
        keys = await conn.fetchval(
            """SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = 'evidence'::regclass AND i.indisprimary"""
        )
    finally:
        await conn.close()
    assert (evidence, history, erased) == ("d1", "d1", "d2")
    assert keys == ["district_id", "student_id", "assessment_id"]
