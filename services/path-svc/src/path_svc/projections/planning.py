"""The ``planning`` projection: each student's path, its history and the planner's state.

Reads only ``path.events.v1``: ``MasteryUpdated`` (from ``learning``),
``LearnerProfileChanged`` (from ``learners``), ``StepOverridden`` and
``StepChosen`` (from the API). All facts about one student sit in one
partition of that topic in the order they were appended, so a replay applies
them in the same order and reaches the same paths: that is why planning does
not read the assessment and profile topics itself. Its own outputs
(``PathReplanned``, ``SupportNeeded``, ``SupportResolved``) come back on the
same topic and are ignored. Support alerts are judged per student from that
student's facts and their event times only (``domain.support``).

The clock is a fact on the log too: ``SchoolDayEnded`` (one per district and
school day, on the district's own key) is fanned out as ``InactivityCheckDue``
to the district's students who look idle, and each check is judged on the
student's partition, in order among their facts, from the dates it carries.
The fan-out only reads: who looks idle may differ on replay, where rows are
rebuilt from the checks already on the log, so the tables do not.

A district's framework changes the same way: ``DistrictFrameworkChanged`` (on
the district's key) is fanned out as ``FrameworkAdopted`` to the district's
students, and each adoption carries the student's evidence over
(``domain.carryover``) and replans once, in order among the student's facts.
A student first seen after the change adopts it through their own
``FrameworkAdopted``. Each student is planned over the framework they adopted
(the bundled default until then), read from the ``frameworks`` projection.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from path_svc.domain.carryover import carry, reason, translate
from path_svc.domain.framework import Framework
from path_svc.domain.package import Package
from path_svc.domain.planner import Override, spelled
from path_svc.domain.planning import Planner, Profile, Replan
from path_svc.domain.support import Alert
from path_svc.projections import erasure
from path_svc.projections.erasure import Student
from path_svc.projections.frameworks import DEFAULT, Library, NotYetProjected
from pathwise_contracts import (
    PATH_EVENTS,
    DistrictFrameworkChanged,
    Envelope,
    Event,
    FrameworkAdopted,
    InactivityCheckDue,
    LearnerProfileChanged,
    MasteryUpdated,
    PathReplanned,
    SchoolDayEnded,
    StepChosen,
    StepOverridden,
    SupportNeeded,
    SupportResolved,
)
from pathwise_runtime.projection import Delivered, derive

V = TypeVar("V")

INPUTS = (
    MasteryUpdated,
    LearnerProfileChanged,
    StepOverridden,
    StepChosen,
    InactivityCheckDue,
    FrameworkAdopted,
)


class PlanningProjection:
    """Paths, replan history and planner state from ``path.events.v1``."""

    name: str = "planning"
    topics: tuple[str, ...] = (PATH_EVENTS.name,)
    tables: tuple[str, ...] = ("planners", "paths", "path_history")

    def __init__(self, source: str, framework: Framework | None = None) -> None:
        self.source = source
        self.library = Library(framework)

    async def apply(self, conn: asyncpg.Connection, batch: Sequence[Delivered]) -> list[Envelope]:
        items = [d for d in batch if isinstance(d.event, INPUTS)]
        emitted = await self._students(conn, items) if items else []
        for d in batch:  # after the students' facts, so the fan-out sees this batch's
            if isinstance(d.event, SchoolDayEnded):
                emitted += await self._fan_out(conn, d.event, d.envelope)
            elif isinstance(d.event, DistrictFrameworkChanged):
                emitted += await self._adopt_all(conn, d.event, d)
        return emitted

    async def _students(self, conn: asyncpg.Connection, items: list[Delivered]) -> list[Envelope]:
        gone = await erasure.guard(conn, (erasure.of(d.envelope) for d in items))
        items = [d for d in items if erasure.of(d.envelope) not in gone]
        planners = await _load(conn, sorted({erasure.of(d.envelope) for d in items}))
        touched: dict[Student, datetime] = {}
        history: list[tuple[Student, Replan, Envelope]] = []
        emitted: list[Envelope] = []
        actives: dict[str, tuple[str, Package]] = {}  # per district, read once a batch
        for d in items:  # log order: one student's facts in the order they happened
            key = erasure.of(d.envelope)
            student = key[1]
            if isinstance(d.event, InactivityCheckDue | FrameworkAdopted) and key not in planners:
                continue  # the clock or a district's change alone never makes a student
            planner = planners.get(key)
            if planner is None:
                emitted += await self._adopt_new(conn, d.envelope, actives)
                planner = planners[key] = Planner()
            before = [s.competency_id for s in planner.steps]
            package = await self.library.package(conn, key[0], planner.framework)
            fw = package.framework
            if isinstance(d.event, InactivityCheckDue):  # the clock: school days only
                e = d.event
                alerts = planner.support.school_day_ended(
                    before, e.idle_since, e.inactive_after, d.envelope.time
                )
            else:
                alerts = self._evidence(fw, planner, d.event, before, d.envelope.time)
                alerts += planner.support.elapsed(before, d.envelope.time)
            if isinstance(d.event, FrameworkAdopted):
                replan = await self._adopt(conn, planner, d.event, d.envelope)
                fw = (await self.library.package(conn, key[0], planner.framework)).framework
                alerts += planner.support.retired({c.code for c in fw.competencies})
            else:
                replan = self._decide(package, planner, d.event, d.envelope)
            touched[key] = d.envelope.time
            if replan is not None:
                history.append((key, replan, d.envelope))
                emitted.append(self._replanned(student, replan, d.envelope))
            now = [s.competency_id for s in planner.steps]
            alerts += planner.support.path(now, d.envelope.time)
            emitted += [self._alert(student, a, d.envelope) for a in alerts]
        await _store(conn, planners, touched, history)
        return emitted

    async def _fan_out(
        self, conn: asyncpg.Connection, day: SchoolDayEnded, tick: Envelope
    ) -> list[Envelope]:
        """Checks for the tick's district's students who look idle (see the module doc)."""
        out: list[Envelope] = []
        rows = conn.cursor(
            """SELECT student_id, state::text AS state FROM planners
                WHERE district_id = $1 ORDER BY student_id""",
            tick.districtid,
        )
        async for r in rows:
            planner = Planner.from_json(json.loads(r["state"]))
            if not planner.support.idle([s.competency_id for s in planner.steps], day.idle_since):
                continue
            check = InactivityCheckDue(
                student_id=r["student_id"],
                day=day.day,
                inactive_after=day.inactive_after,
                idle_since=day.idle_since,
                cause_event_id=tick.id,
            )
            out.append(derive(check, tick, source=self.source, parts=[r["student_id"]]))
        return out

    async def _adopt_all(
        self, conn: asyncpg.Connection, change: DistrictFrameworkChanged, at: Delivered
    ) -> list[Envelope]:
        """One ``FrameworkAdopted`` per student of the district not on the new framework yet."""
        district, tick = at.envelope.districtid, at.envelope
        if await self.library.changed_at(conn, district) < at.offset:
            # Students first seen from now on must find the change there (see _adopt_new).
            raise NotYetProjected(f"framework change of {district} not projected yet")
        rows = conn.cursor(
            """SELECT student_id, coalesce(state->>'framework', '') AS framework FROM planners
                WHERE district_id = $1 ORDER BY student_id""",
            district,
        )
        out: list[Envelope] = []
        async for r in rows:
            if r["framework"] == change.digest:
                continue
            adopted = FrameworkAdopted(
                student_id=r["student_id"],
                name=change.name,
                digest=change.digest,
                cause_event_id=tick.id,
            )
            out.append(derive(adopted, tick, source=self.source, parts=[r["student_id"]]))
        return out

    async def _adopt_new(
        self, conn: asyncpg.Connection, first: Envelope, actives: dict[str, tuple[str, Package]]
    ) -> list[Envelope]:
        """A student first seen in a district that changed framework adopts it (one event)."""
        district = first.districtid
        if district not in actives:
            actives[district] = await self.library.active(conn, district)
        digest, package = actives[district]
        if digest == DEFAULT:
            return []
        adopted = FrameworkAdopted(
            student_id=first.subject,
            name=package.framework.name,
            digest=digest,
            cause_event_id=first.id,
        )
        return [derive(adopted, first, source=self.source, parts=["framework", digest])]

    async def _adopt(
        self, conn: asyncpg.Connection, planner: Planner, event: FrameworkAdopted, cause: Envelope
    ) -> Replan | None:
        """Carry the evidence over and replan once; adopting the same framework again is a no-op."""
        if planner.framework == event.digest:
            return None
        district = cause.districtid
        old = await self.library.package(conn, district, planner.framework)
        new = await self.library.package(conn, district, event.digest)
        carried = carry(planner.estimates, new.framework, new.links)
        why = reason(old.framework, new.framework, new.links)
        profile = planner.profile
        profile.goals = translate(profile.goals, new.framework, new.links)
        profile.goal_dates = _follow(profile.goal_dates, new)
        profile.competency_confidence = _follow(profile.competency_confidence, new)
        return planner.adopted(new.framework, event.digest, carried.estimates, why, cause.id)

    def _evidence(
        self, fw: Framework, planner: Planner, event: Event, steps: list[str], at: datetime
    ) -> list[Alert]:
        """Support alerts a new estimate opens or closes (see ``domain.support``)."""
        if not isinstance(event, MasteryUpdated) or event.competency_id not in fw:
            return []
        code = event.competency_id
        return planner.support.evidence(code, event.p_mastery, code in steps, at)

    def _alert(self, student: str, alert: Alert, cause: Envelope) -> Envelope:
        kind = SupportResolved if alert.resolved else SupportNeeded
        event = kind(
            student_id=student,
            competency_id=alert.competency_id,
            reason=alert.reason,
            episode=alert.episode,
            detail=alert.detail,
            cause_event_id=cause.id,
        )
        # The event type is part of the id too, so an episode's opening and closing differ.
        parts = ["support", alert.competency_id, str(alert.episode)]
        return derive(event, cause, source=self.source, parts=parts)

    def _decide(
        self, package: Package, planner: Planner, event: Event, cause: Envelope
    ) -> Replan | None:
        fw = package.framework
        if isinstance(event, MasteryUpdated):
            if event.competency_id not in fw:
                return None  # evidence on another framework's competency: not planned here
            return planner.mastery(
                fw, event.competency_id, event.p_mastery, event.attempts, cause.id, event.previous
            )
        if isinstance(event, LearnerProfileChanged):
            profile = Profile(
                goals=translate(
                    spelled(fw, event.goals, also=[link.previous for link in package.links]),
                    fw,
                    package.links,
                ),
                interests=list(event.interests),
                requirements=list(event.requirements),
                preferred=list(event.preferred),
                avoided=list(event.avoided),
                sections=list(event.section_ids),
                grade=event.grade,
                goal_dates={c: d.isoformat() for c, d in _known(fw, event.goal_dates).items()},
                strengths=list(event.strengths),
                needs=list(event.needs),
                confidence=event.confidence,
                competency_confidence=_known(fw, event.competency_confidence),
            )
            return planner.profile_changed(fw, profile, cause.id)
        if isinstance(event, StepOverridden):
            if event.action == "lift":
                return planner.overridden(fw, str(event.lifts), None, cause.id)
            if event.competency_id not in fw:
                return None
            override = Override(event.action, event.competency_id, event.position, event.modality)
            return planner.overridden(fw, str(event.override_id), override, cause.id)
        if isinstance(event, StepChosen) and event.competency_id in fw:
            return planner.chosen(fw, event.competency_id, event.modality, cause.id)
        return None

    def _replanned(self, student: str, replan: Replan, cause: Envelope) -> Envelope:
        return derive(
            PathReplanned(
                student_id=student,
                cause_event_id=cause.id,
                **{f.name: getattr(replan, f.name) for f in fields(replan)},
            ),
            cause,
            source=self.source,
            parts=["path", str(replan.version)],
        )


async def _load(conn: asyncpg.Connection, students: list[Student]) -> dict[Student, Planner]:
    rows = await conn.fetch(
        f"SELECT district_id, student_id, state::text AS state FROM planners WHERE {erasure.AMONG}",
        *erasure.columns(students),
    )
    return {
        (r["district_id"], r["student_id"]): Planner.from_json(json.loads(r["state"])) for r in rows
    }


async def _store(
    conn: asyncpg.Connection,
    planners: dict[Student, Planner],
    touched: dict[Student, datetime],
    history: list[tuple[Student, Replan, Envelope]],
) -> None:
    if not touched:
        return
    students = list(touched)
    states = [json.dumps(planners[s].to_json(), sort_keys=True) for s in students]
    await conn.execute(
        """INSERT INTO planners AS p (district_id, student_id, state, updated_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[])
           ON CONFLICT (district_id, student_id) DO UPDATE
              SET state = excluded.state, updated_at = excluded.updated_at""",
        [d for d, _ in students],
        [s for _, s in students],
        states,
        list(touched.values()),
    )
    if not history:
        return
    latest: dict[Student, tuple[Replan, Envelope]] = {}
    for student, replan, cause in history:
        latest[student] = (replan, cause)
    steps = [_steps(r) for _, r, _ in history]  # once per replan, for paths and history
    of = {id(r): text for (_, r, _), text in zip(history, steps, strict=True)}
    await conn.execute(
        """INSERT INTO paths AS p (district_id, student_id, version, steps, updated_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[],
                                $5::timestamptz[])
           ON CONFLICT (district_id, student_id) DO UPDATE
              SET version = excluded.version, steps = excluded.steps,
                  updated_at = excluded.updated_at""",
        [d for d, _ in latest],
        [s for _, s in latest],
        [r.version for r, _ in latest.values()],
        [of[id(r)] for r, _ in latest.values()],
        [c.time for _, c in latest.values()],
    )
    await conn.execute(
        """INSERT INTO path_history (district_id, student_id, version, steps, added, removed,
                                     reason, cause_event_id, replanned_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[], $5::jsonb[],
                                $6::jsonb[], $7::text[], $8::uuid[], $9::timestamptz[])
           ON CONFLICT (district_id, student_id, version) DO NOTHING""",
        [d for (d, _), _, _ in history],
        [s for (_, s), _, _ in history],
        [r.version for _, r, _ in history],
        steps,
        [json.dumps(r.added) for _, r, _ in history],
        [json.dumps(r.removed) for _, r, _ in history],
        [r.reason for _, r, _ in history],
        [c.id for _, _, c in history],
        [c.time for _, _, c in history],
    )


def _steps(replan: Replan) -> str:
    body: list[dict[str, Any]] = [s.model_dump(mode="json") for s in replan.steps]
    return json.dumps(body)


def _follow(by_code: Mapping[str, V], new: Package) -> dict[str, V]:
    """Per-code values (goal dates, reflected confidence) under the codes they follow to."""
    out: dict[str, V] = {}
    for code, value in by_code.items():
        for now in translate([code], new.framework, new.links):
            out.setdefault(now, value)
    return out


def _known(fw: Framework, by_code: Mapping[str, V]) -> dict[str, V]:
    """The entries about competencies of the framework, keyed by its spelling."""
    out: dict[str, V] = {}
    for code, value in by_code.items():
        for known in spelled(fw, [code]):
            out[known] = value
    return out
