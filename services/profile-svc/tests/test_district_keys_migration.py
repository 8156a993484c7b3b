"""Migration 0008 re-keys profile-svc's tables by (district, student) and keeps their rows:
a district is learnt from the student's stream, and a tombstone from the erased stream."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest

from pathwise_runtime import migrations
from profile_svc.main import SPEC
from profile_svc.projections.mastery import erased_digest

pytestmark = pytest.mark.integration

BEFORE = """
INSERT INTO student_streams (student_id, district_id, version, fingerprint, state)
VALUES ('s-1', 'd1', 2, 'f1', '{"status": "enrolled"}'),
       ('s-9', 'd2', 3, 'f9', '{"status": "erased"}');
INSERT INTO students (student_id, district_id, section_ids, enrolled_at)
VALUES ('s-1', 'd1', '{math-5a}', '2026-09-01');
INSERT INTO guardians (student_id, guardian_id, relationship, educational_rights, language,
                       consent, linked_at)
VALUES ('s-1', 'g-1', 'mother', true, 'en', '{}', '2026-09-01');
INSERT INTO goals (student_id, goal_id, competency_ids, status, agreed_by, set_at)
VALUES ('s-1', 'goal-1', '{}', 'active', '{student}', '2026-09-01');
INSERT INTO reflections (student_id, reflection_id, text, competency_ids, recorded_at)
VALUES ('s-1', 'r-1', '{}', '{}', '2026-09-01');
INSERT INTO consent_history (event_id, student_id, guardian_id, channel, granted, source,
                             given_at, recorded_at)
VALUES (gen_random_uuid(), 's-1', 'g-1', 'email', true, 'form', '2026-09-01', '2026-09-01');
INSERT INTO mastery (student_id, competency_id, p_mastery, mastered, updated_at)
VALUES ('s-1', '3.OA.A.1', 0.5, false, '2026-09-01'),
       ('s-nobody', '3.OA.A.1', 0.5, false, '2026-09-01');
INSERT INTO student_teachers (student_id, district_id, fingerprint, seq)
VALUES ('s-1', 'd1', 'f', 1);
"""


async def test_rows_keep_their_district(database: Callable[[], str]) -> None:
    every = migrations.runtime_migrations() + migrations.folder_migrations(SPEC.migrations)
    old = [m for m in every if not m[0].startswith("0008")]
    conn = await asyncpg.connect(database())
    try:
        await migrations.migrate(conn, old)
        await conn.execute(BEFORE)
        await conn.executemany(
            "INSERT INTO erased_students (digest) VALUES ($1)",
            [(erased_digest("s-9"),), ("unexplained",)],
        )
        assert await migrations.migrate(conn, every) == ["0008_district_keys.sql"]
        districts = {
            table: await conn.fetchval(f"SELECT array_agg(DISTINCT district_id) FROM {table}")
            for table in (
                "student_streams",
                "students",
                "guardians",
                "goals",
                "reflections",
                "consent_history",
                "mastery",
                "student_teachers",
            )
        }
        mastered = await conn.fetchval("SELECT array_agg(student_id) FROM mastery")
        erased = await conn.fetch("SELECT district_id, digest FROM erased_students")
        keys = await conn.fetchval(
            """SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = 'guardians'::regclass AND i.indisprimary"""
        )
    finally:
        await conn.close()
    assert districts == {**{t: ["d1"] for t in districts}, "student_streams": ["d1", "d2"]}
    assert mastered == ["s-1"]  # a row no district knows could never be shown
    assert {(r["district_id"], r["digest"]) for r in erased} == {
        ("d2", erased_digest("s-9")),
        ("d1", "unexplained"),
        ("d2", "unexplained"),
    }
    assert keys == ["district_id", "student_id", "guardian_id"]
