"""Migration 0009 teaches stored stream states their accommodations where the profile
has caught up, and marks the others unknown so a roster sync cannot drop details."""

from __future__ import annotations

import json
from collections.abc import Callable

import asyncpg
import pytest

from pathwise_runtime import migrations
from profile_svc.domain.stream import StreamState
from profile_svc.main import SPEC

pytestmark = pytest.mark.integration

SEALED = {"kid": "dek:" + "0" * 32, "alg": "A256GCM", "nonce": "A" * 16, "ct": "A" * 24}
STREAMS = """
INSERT INTO student_streams (student_id, district_id, version, fingerprint, state)
VALUES ('s-1', 'd1', 3, 'f1', '{"status": "enrolled"}'),
       ('s-2', 'd1', 5, 'f2', '{"status": "enrolled"}')
"""
PROFILES = """
INSERT INTO students (student_id, district_id, section_ids, enrolled_at, version,
                      accommodation_requirements, accommodation_details)
VALUES ('s-1', 'd1', '{}', '2026-09-01', 3, '{read_aloud}', $1::jsonb),
       ('s-2', 'd1', '{}', '2026-09-01', 4, '{extended_time}', NULL)
"""


async def test_states_learn_their_accommodations_or_are_marked_unknown(
    database: Callable[[], str],
) -> None:
    every = migrations.runtime_migrations() + migrations.folder_migrations(SPEC.migrations)
    old = [m for m in every if not m[0].startswith("0009")]
    conn = await asyncpg.connect(database())
    try:
        await migrations.migrate(conn, old)
        await conn.execute(STREAMS)
        await conn.execute(PROFILES, json.dumps(SEALED))
        assert await migrations.migrate(conn, every) == ["0009_stream_accommodations.sql"]
        rows = await conn.fetch("SELECT student_id, state::text FROM student_streams")
    finally:
        await conn.close()
    states = {r["student_id"]: StreamState.model_validate_json(r["state"]) for r in rows}
    assert states["s-1"].requirements == ["read_aloud"]
    assert states["s-1"].accommodation_details is not None
    assert states["s-1"].accommodation_details.kid == SEALED["kid"]
    assert states["s-2"].requirements is None  # the profile lagged: unknown
    assert StreamState().requirements == []  # a new stream knows it has none
