"""Projection "access_log": every service's reads of a student, in one record of disclosures.

Reads the four ``<service>.access.v1`` topics and, for erasure,
``profile.events.v1``. The topics are read independently, so a read can come
in after the student's erasure: ``access_log_erased`` remembers the erased
(district, digest of the id, never the id) and keeps such reads out, in any
order, live or on replay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import asyncpg

from pathwise_contracts import (
    ACCESS_TOPICS,
    PROFILE_EVENTS,
    Envelope,
    RecordAccessed,
    SubjectErased,
)
from pathwise_runtime.projection import Delivered

# Which service answered, by the topic it logs on: only that service may write it.
SERVICE_OF_TOPIC = {t.name: t.name.split(".", 1)[0] + "-svc" for t in ACCESS_TOPICS}


# profile-svc's actions and the section of the record each one reads.
SECTIONS = {"read": "profile", "list": "roster", "export": "record-export"}


def action_of(event: RecordAccessed) -> str:
    """The log's ``action`` for a read, the same live and on replay."""
    if event.purpose == "record-export" or event.export_id is not None:
        return "export"
    return {v: k for k, v in SECTIONS.items()}.get(event.section, "read")


_INSERT = """
INSERT INTO access_log (at, district_id, actor, role, student_id, action, event_id, service,
                        section, endpoint, purpose, principal_district, export_id)
SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::text[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[],
                     $12::text[], $13::uuid[])
ON CONFLICT (event_id) DO NOTHING
"""


async def insert(conn: asyncpg.Connection, entries: list[tuple[Envelope, str]]) -> None:
    """Write (envelope, answering service) pairs; an event already logged is skipped."""
    events = [(e, e.event(), service) for e, service in entries]
    rows = [
        (
            ev.accessed_at,
            env.districtid,
            ev.principal_id,
            ev.principal_kind,
            ev.student_id,
            action_of(ev),
            env.id,
            service,
            ev.section,
            ev.endpoint,
            ev.purpose,
            ev.principal_district,
            ev.export_id,
        )
        for env, ev, service in events
        if isinstance(ev, RecordAccessed)
    ]
    if rows:
        await conn.execute(_INSERT, *[list(column) for column in zip(*rows, strict=True)])


async def forget(conn: asyncpg.Connection, district: str, student_id: str) -> None:
    """Drop the district's entries about an erased student (another district's namesake keeps
    theirs)."""
    await conn.execute(
        "DELETE FROM access_log WHERE district_id = $1 AND student_id = $2", district, student_id
    )


def erased_digest(district: str, student_id: str) -> str:
    return hashlib.sha256(f"pathwise-access-erased|{district}|{student_id}".encode()).hexdigest()


class AccessLogProjection:
    name: str = "access_log"
    topics: tuple[str, ...] = (*(t.name for t in ACCESS_TOPICS), PROFILE_EVENTS.name)
    tables: tuple[str, ...] = ("access_log", "access_log_erased")

    async def apply(
        self, conn: asyncpg.Connection, batch: Sequence[Delivered]
    ) -> Sequence[Envelope]:
        reads: list[tuple[Envelope, str]] = []
        erased: set[tuple[str, str]] = set()
        for item in batch:
            event, district = item.event, item.envelope.districtid
            if isinstance(event, SubjectErased) and event.kind == "student":
                erased.add((district, event.student_id))
            elif isinstance(event, RecordAccessed) and item.topic in SERVICE_OF_TOPIC:
                reads.append((item.envelope, SERVICE_OF_TOPIC[item.topic]))
        if reads:
            digests = sorted(
                {(e.districtid, erased_digest(e.districtid, e.subject)) for e, _ in reads}
            )
            gone = {
                (r["district_id"], r["digest"])
                for r in await conn.fetch(
                    """SELECT district_id, digest FROM access_log_erased
                        WHERE (district_id, digest) IN
                              (SELECT * FROM unnest($1::text[], $2::text[]))""",
                    [d for d, _ in digests],
                    [g for _, g in digests],
                )
            }
            keep = [
                (e, s)
                for e, s in reads
                if (e.districtid, erased_digest(e.districtid, e.subject)) not in gone
            ]
            await insert(conn, keep)
        for district, student_id in sorted(erased):
            await conn.execute(
                """INSERT INTO access_log_erased (district_id, digest) VALUES ($1, $2)
                   ON CONFLICT DO NOTHING""",
                district,
                erased_digest(district, student_id),
            )
            await forget(conn, district, student_id)
        return ()
