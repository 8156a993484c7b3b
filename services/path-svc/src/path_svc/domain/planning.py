"""One student's planner: what it knows, and how each fact on path-svc's log changes the path.

The ``planning`` projection reads only ``path.events.v1``, where mastery
updates, profile changes, overrides and choices of one student are ordered in
one partition; it loads a ``Planner`` per student, feeds it the batch in log
order and stores it back as JSON. Every method is a pure function of the
state and the fact, and random draws are seeded by the fact's event id, so a
replay reaches the same paths, versions and statistics.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from path_svc.domain.framework import Framework
from path_svc.domain.mastery import MASTERED
from path_svc.domain.modality import LABELS, Gains
from path_svc.domain.placement import ASSUMED, place
from path_svc.domain.planner import Inputs, Override, Standing, diff, drafts, shape, written
from path_svc.domain.support import Support
from pathwise_contracts import Modality, PathStep


@dataclass(slots=True)
class Profile:
    """What planning uses from the learner's profile."""

    goals: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    preferred: list[Modality] = field(default_factory=list)
    avoided: list[Modality] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    grade: str | None = None  # from the roster (StudentEnrolled / EnrollmentChanged)
    goal_dates: dict[str, str] = field(default_factory=dict)
    strengths: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    confidence: int | None = None
    competency_confidence: dict[str, int] = field(default_factory=dict)


ASPECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("goals", ("goals", "goal_dates")),
    ("interests", ("interests",)),
    ("accommodations", ("requirements",)),
    ("modality preferences", ("preferred", "avoided")),
    ("strengths and needs", ("strengths", "needs")),
    ("reflections", ("confidence", "competency_confidence")),
    ("sections", ("sections",)),
    ("grade", ("grade",)),
)


def changed_aspects(old: Profile, new: Profile) -> str:
    """The parts of the profile that differ, in words, for the replan's reason."""
    return " and ".join(
        name for name, fields in ASPECTS if any(getattr(old, f) != getattr(new, f) for f in fields)
    )


@dataclass(frozen=True, slots=True)
class Replan:
    version: int
    steps: list[PathStep]
    added: list[str]
    removed: list[str]
    reason: str


@dataclass(slots=True)
class Planner:
    estimates: dict[str, Standing] = field(default_factory=dict)
    profile: Profile = field(default_factory=Profile)
    gains: dict[Modality, Gains] = field(default_factory=dict)
    overrides: dict[str, Override] = field(default_factory=dict)
    choices: dict[str, Modality] = field(default_factory=dict)
    steps: list[PathStep] = field(default_factory=list)
    version: int = 0
    support: Support = field(default_factory=Support)
    framework: str = ""
    """Digest of the district framework this student adopted; empty: the bundled default."""

    # -- facts -------------------------------------------------------------

    def mastery(
        self,
        framework: Framework,
        code: str,
        p: float,
        attempts: int | None,
        cause: uuid.UUID,
        evidence_before: float | None = None,
    ) -> Replan | None:
        """A new estimate; a step's gain is credited to the modality it was taught in.

        ``evidence_before`` is the estimate before this evidence (MasteryUpdated.previous):
        on a competency assumed from an earlier grade, evidence that raised the estimate
        keeps the assumption (the estimate started from the framework's low prior, not
        from it); evidence that lowered it ends the assumption.
        """
        before = self.estimates.get(code)
        count = attempts if attempts is not None else (before.attempts if before else 0) + 1
        prior = place(framework, self.profile.grade).prior(code, framework[code].params.p_init)
        previous = before.p if before is not None else prior
        assumed = code in place(framework, self.profile.grade).earlier and previous >= ASSUMED
        if assumed and evidence_before is not None and p >= evidence_before:
            p = max(p, ASSUMED)
        on_path = next((s for s in self.steps if s.competency_id == code), None)
        if on_path is not None and count > (before.attempts if before else 0):
            self.gains.setdefault(on_path.modality, Gains()).observe(p - previous)
        self.estimates[code] = Standing(p, count)
        if previous < MASTERED <= p:
            why = f"{code} was mastered"
        elif p < MASTERED <= previous:
            why = f"{code} is no longer estimated as mastered"
        else:
            why = f"new evidence on {code}"
        return self.replan(framework, cause, why)

    def profile_changed(
        self, framework: Framework, profile: Profile, cause: uuid.UUID
    ) -> Replan | None:
        what = changed_aspects(self.profile, profile)
        self.profile = profile
        return self.replan(framework, cause, f"the learner's {what or 'profile'} changed")

    def overridden(
        self, framework: Framework, override_id: str, override: Override | None, cause: uuid.UUID
    ) -> Replan | None:
        """Set (or, with ``None``, lift) a teacher's override."""
        if override is None:
            lifted = self.overrides.pop(override_id, None)
            if lifted is None:
                return None
            why = f"a teacher lifted the {lifted.action} of {lifted.competency_id}"
        else:
            self.overrides[override_id] = override
            why = f"a teacher set a {override.action} on {override.competency_id}"
        return self.replan(framework, cause, why)

    def chosen(
        self, framework: Framework, code: str, how: Modality, cause: uuid.UUID
    ) -> Replan | None:
        self.choices[code] = how
        return self.replan(framework, cause, f"the student chose {LABELS[how]} for {code}")

    def adopted(
        self,
        framework: Framework,
        digest: str,
        estimates: Mapping[str, Standing],
        why: str,
        cause: uuid.UUID,
    ) -> Replan:
        """The district's new framework, with the estimates carried over: always a new
        version, so every student of the district is told once why the path changed."""
        self.framework = digest
        self.estimates = dict(estimates)
        replan = self.replan(framework, cause, why, force=True)
        assert replan is not None
        return replan

    # -- the plan ----------------------------------------------------------

    def inputs(self) -> Inputs:
        return Inputs(
            estimates=self.estimates,
            goals=self.profile.goals,
            interests=self.profile.interests,
            requirements=self.profile.requirements,
            preferred=self.profile.preferred,
            avoided=self.profile.avoided,
            gains=self.gains,
            overrides=list(self.overrides.values()),
            choices=self.choices,
            current=self.steps,
            grade=self.profile.grade,
            goal_dates=self.profile.goal_dates,
            strengths=self.profile.strengths,
            needs=self.profile.needs,
            confidence=self.profile.confidence,
            competency_confidence=self.profile.competency_confidence,
        )

    def replan(
        self, framework: Framework, cause: uuid.UUID, why: str, force: bool = False
    ) -> Replan | None:
        """Plan again; a new version only when the path really changed (or ``force``)."""
        inputs = self.inputs()
        drafted = drafts(framework, inputs, cause)
        if not force and [shape(s) for s in self.steps] == [d.shape() for d in drafted]:
            return None  # the same path: its reasons are not even written
        steps = written(framework, inputs, drafted)
        added, removed = diff(self.steps, steps)
        self.version += 1
        self.steps = steps
        kept = {s.competency_id for s in steps}
        self.choices = {c: m for c, m in self.choices.items() if c in kept}
        parts = [
            f"{label} {', '.join(codes)}"
            for label, codes in (("added", added), ("removed", removed))
            if codes
        ]
        what = "; ".join(parts) or "order or teaching changed"
        return Replan(self.version, steps, added, removed, f"Replanned because {why}: {what}.")

    # -- storage -----------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        p = self.profile
        return {
            "estimates": {c: [s.p, s.attempts] for c, s in sorted(self.estimates.items())},
            "profile": {
                "goals": p.goals,
                "interests": p.interests,
                "requirements": p.requirements,
                "preferred": [str(m) for m in p.preferred],
                "avoided": [str(m) for m in p.avoided],
                "sections": p.sections,
                "grade": p.grade,
                "goal_dates": p.goal_dates,
                "strengths": p.strengths,
                "needs": p.needs,
                "confidence": p.confidence,
                "competency_confidence": p.competency_confidence,
            },
            "gains": {str(m): [g.alpha, g.beta, g.steps] for m, g in sorted(self.gains.items())},
            "overrides": {
                k: {
                    "action": o.action,
                    "competency_id": o.competency_id,
                    "position": o.position,
                    "modality": str(o.modality) if o.modality else None,
                }
                for k, o in self.overrides.items()
            },
            "choices": {c: str(m) for c, m in sorted(self.choices.items())},
            "steps": [s.model_dump(mode="json") for s in self.steps],
            "version": self.version,
            "support": self.support.to_json(),
            **({"framework": self.framework} if self.framework else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Planner:
        p = data.get("profile", {})
        return cls(
            estimates={c: Standing(v[0], v[1]) for c, v in data.get("estimates", {}).items()},
            profile=Profile(
                goals=list(p.get("goals", [])),
                interests=list(p.get("interests", [])),
                requirements=list(p.get("requirements", [])),
                preferred=[Modality(m) for m in p.get("preferred", [])],
                avoided=[Modality(m) for m in p.get("avoided", [])],
                sections=list(p.get("sections", [])),
                grade=p.get("grade"),
                goal_dates=dict(p.get("goal_dates", {})),
                strengths=list(p.get("strengths", [])),
                needs=list(p.get("needs", [])),
                confidence=p.get("confidence"),
                competency_confidence=dict(p.get("competency_confidence", {})),
            ),
            gains={Modality(m): Gains(v[0], v[1], v[2]) for m, v in data.get("gains", {}).items()},
            overrides={
                k: Override(
                    o["action"],
                    o["competency_id"],
                    o.get("position"),
                    Modality(o["modality"]) if o.get("modality") else None,
                )
                for k, o in data.get("overrides", {}).items()
            },
            choices={c: Modality(m) for c, m in data.get("choices", {}).items()},
            steps=[PathStep.model_validate(s) for s in data.get("steps", [])],
            version=int(data.get("version", 0)),
            support=Support.from_json(data.get("support", {})),
            framework=str(data.get("framework", "")),
        )
