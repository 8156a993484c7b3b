"""Migration 0009 re-keys notify-svc's tables by (district, id) and keeps their rows:
a district is learnt from the same student's rows that had one."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import pytest

from notify_svc.main import SPEC
from pathwise_runtime import migrations

pytestmark = pytest.mark.integration

CAUSE = "00000000-0000-0000-0000-00000000c001"
BEFORE = f"""
INSERT INTO students VALUES ('s-1', 'd1');
INSERT INTO guardians (student_id, guardian_id, relationship, educational_rights, language,
                       consent, linked_at)
VALUES ('s-1', 'g-1', 'mother', true, 'es', '{{}}', '2026-09-01'),
       ('s-2', 'g-2', 'father', true, 'en', '{{}}', '2026-09-01'),
       ('s-3', 'g-3', 'father', true, 'en', '{{}}', '2026-09-01');
INSERT INTO teachers (student_id, teacher_id, assigned_at) VALUES ('s-1', 't-1', '2026-09-01');
INSERT INTO paths VALUES ('s-1', 2, '{{A.1}}');
INSERT INTO causes (cause_event_id, student_id, district_id, kind, competency_id, occurred_at)
VALUES ('{CAUSE}', 's-1', 'd1', 'competency_mastered', 'A.1', '2026-09-02');
INSERT INTO notifications (notification_id, cause_event_id, student_id, guardian_id, channel,
                           planned_at)
VALUES (gen_random_uuid(), '{CAUSE}', 's-1', 'g-1', 'email', '2026-09-02');
INSERT INTO deliveries (notification_id, student_id, district_id, guardian_id, channel,
                        cause_event_id, state, attempts)
VALUES (gen_random_uuid(), 's-2', 'd2', 'g-2', 'email', gen_random_uuid(), 'sent', 1);
INSERT INTO erased_guardians VALUES ('s-1', 'g-0');
INSERT INTO erased_students VALUES ('s-9');
"""


async def _key(conn: asyncpg.Connection, table: str) -> list[str]:
    return list(
        await conn.fetchval(
            """SELECT array_agg(a.attname ORDER BY k.n) FROM pg_index i
                 CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = $1::regclass AND i.indisprimary""",
            table,
        )
    )


async def test_rows_keep_their_district(database: Callable[[], str]) -> None:
    every = migrations.runtime_migrations() + migrations.folder_migrations(SPEC.migrations)
    old = [m for m in every if not m[0].startswith("0009")]
    conn = await asyncpg.connect(database())
    try:
        await migrations.migrate(conn, old)
        await conn.execute(BEFORE)
        assert await migrations.migrate(conn, every) == ["0009_district_keys.sql"]

        async def rows(sql: str) -> list[tuple[str, ...]]:
            return [tuple(r) for r in await conn.fetch(sql)]

        guardians = await rows(
            "SELECT district_id, student_id, guardian_id FROM guardians ORDER BY 2"
        )
        learnt = [
            await conn.fetchval(f"SELECT district_id FROM {table}")
            for table in ("teachers", "paths", "notifications", "erased_guardians")
        ]
        tombstones = await rows("SELECT district_id, student_id FROM erased_students ORDER BY 1")
        tables = ("students", "guardians", "teachers", "paths")
        keys = {t: await _key(conn, t) for t in (*tables, "erased_students", "erased_guardians")}
    finally:
        await conn.close()
    # s-2's guardian learns its district from the sender's row; s-3's has none to learn.
    assert guardians == [("d1", "s-1", "g-1"), ("d2", "s-2", "g-2")]
    assert learnt == ["d1", "d1", "d1", "d1"]
    # An erased student's tombstone stays, in every district this database knows.
    assert tombstones == [("d1", "s-9"), ("d2", "s-9")]
    assert keys == {
        "students": ["district_id", "student_id"],
        "guardians": ["district_id", "student_id", "guardian_id"],
        "teachers": ["district_id", "student_id", "teacher_id"],
        "paths": ["district_id", "student_id"],
        "erased_students": ["district_id", "student_id"],
        "erased_guardians": ["district_id", "student_id", "guardian_id"],
    }
