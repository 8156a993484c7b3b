"""Projection "statements": the LRS's stored statements, rebuilt from ``StatementStored``.

A statement is voided when a voiding statement names it; both may arrive in
either order (they are keyed by different actors), so ``voided`` is computed
from the table, never from arrival order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from assessment_svc.domain import xapi_activities
from assessment_svc.projections import erasure
from pathwise_contracts import ASSESSMENT_EVENTS, Envelope, StatementStored
from pathwise_runtime.projection import Delivered


class StatementsProjection:
    name: str = "statements"
    topics: tuple[str, ...] = (ASSESSMENT_EVENTS.name,)
    tables: tuple[str, ...] = ("statements", "xapi_activities")

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        rows = [(d, d.event) for d in batch if isinstance(d.event, StatementStored)]
        if not rows:
            return ()
        # Applied, kept or not (an erased agent's): the LRS is consistent through them.
        await conn.execute(
            """UPDATE xapi_ingested i SET projected = true
                 FROM unnest($1::text[], $2::uuid[]) AS a(district_id, statement_id)
                WHERE i.district_id = a.district_id AND i.statement_id = a.statement_id
                  AND NOT i.projected""",
            [d.envelope.districtid or "" for d, e in rows if isinstance(e, StatementStored)],
            [e.statement_id for _, e in rows if isinstance(e, StatementStored)],
        )
        # What the activities are says nothing of who did them: kept from every statement.
        await _define(
            conn,
            [
                (
                    (d.envelope.districtid or "", a),
                    xapi_activities.stamped(
                        definition, xapi_activities.stamp_of(e.stored, e.statement_id)
                    ),
                )
                for d, e in rows
                if isinstance(e, StatementStored)
                for a, definition in e.definitions.items()
            ],
        )
        gone = await erasure.erased_identities(
            conn,
            (
                (d.envelope.districtid or "", a)
                for d, e in rows
                for a in [e.agent, *e.related_agents]
            ),
        )
        rows = [
            (d, e)
            for d, e in rows
            if not any(
                (d.envelope.districtid or "", a) in gone for a in [e.agent, *e.related_agents]
            )
        ]
        if not rows:
            return ()
        await conn.executemany(
            """INSERT INTO statements (statement_id, district_id, statement, verb, activity, agent,
                                       related_agents, related_activities, registration, voids,
                                       stored, "timestamp")
               VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12)
               ON CONFLICT (district_id, statement_id) DO NOTHING""",
            [
                (
                    e.statement_id,
                    d.envelope.districtid or "",
                    e.statement.model_dump_json(),
                    e.verb,
                    e.activity,
                    e.agent,
                    e.related_agents,
                    e.related_activities,
                    e.registration,
                    e.voids,
                    e.stored,
                    e.timestamp,
                )
                for d, e in rows
                if isinstance(e, StatementStored)
            ],
        )
        # Within each statement's own district: a void never reaches another district's id.
        await conn.execute(
            """WITH applied AS (SELECT * FROM unnest($1::text[], $2::uuid[])
                                   AS a(district_id, statement_id))
               UPDATE statements AS s SET voided = true
                WHERE NOT s.voided AND s.verb <> 'http://adlnet.gov/expapi/verbs/voided'
                  AND EXISTS (SELECT 1 FROM statements v
                               WHERE v.voids = s.statement_id AND v.district_id = s.district_id)
                  AND ((s.district_id, s.statement_id) IN (SELECT * FROM applied)
                       OR (s.district_id, s.statement_id) IN (
                           SELECT v.district_id, v.voids FROM statements v JOIN applied a
                               ON v.district_id = a.district_id
                              AND v.statement_id = a.statement_id))""",
            [d.envelope.districtid or "" for d, e in rows if isinstance(e, StatementStored)],
            [e.statement_id for _, e in rows if isinstance(e, StatementStored)],
        )
        return ()


async def _define(
    conn: asyncpg.Connection, given: list[tuple[tuple[str, str], xapi_activities.Stamped]]
) -> None:
    if not given:
        return
    keys = sorted({k for k, _ in given})
    state = {
        (r["district_id"], r["activity_id"]): json.loads(r["stamps"])
        for r in await conn.fetch(
            """SELECT district_id, activity_id, stamps FROM xapi_activities
                WHERE (district_id, activity_id) IN
                      (SELECT * FROM unnest($1::text[], $2::text[]))""",
            [d for d, _ in keys],
            [a for _, a in keys],
        )
    }
    for key, stamps in given:
        state[key] = xapi_activities.joined(state.get(key, {}), stamps)
    await conn.executemany(
        """INSERT INTO xapi_activities (district_id, activity_id, definition, stamps)
           VALUES ($1, $2, $3::jsonb, $4::jsonb)
           ON CONFLICT (district_id, activity_id)
           DO UPDATE SET definition = excluded.definition, stamps = excluded.stamps""",
        [
            (
                d,
                a,
                json.dumps(xapi_activities.definition_of(state[(d, a)]), sort_keys=True),
                json.dumps(state[(d, a)], sort_keys=True),
            )
            for d, a in keys
        ],
    )
