"""Events produced by path-svc on ``path.events.v1``."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pathwise_contracts.events.base import EncryptedValue, Event
from pathwise_contracts.topics import PATH_EVENTS


class Modality(StrEnum):
    """How a step of a learning path is taught."""

    ONE_ON_ONE_TUTORING = "one_on_one_tutoring"
    SMALL_GROUP_PROJECT = "small_group_project"
    INDEPENDENT_PRACTICE = "independent_practice"
    TEACHER_LED_INSTRUCTION = "teacher_led_instruction"
    PEER_TUTORING = "peer_tutoring"
    SMALL_GROUP_INSTRUCTION = "small_group_instruction"
    MASTERY_CHECK = "mastery_check"


MasteryLevel = Literal["not_started", "familiar", "proficient", "mastered"]
"""A readable band of P(mastered); ``mastered`` is P >= 0.95."""


class StepAnnotation(BaseModel):
    """What the teacher must do or provide on a step because of the student's plan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, description="Accommodation catalogue code, e.g. 'read_aloud'.")
    text: str = Field(description="The label shown to the teacher, e.g. 'extended time 1.5x'.")


class PathStep(BaseModel):
    """One competency to work on next, and how."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    competency_id: str = Field(min_length=1, description="Competency to work on.")
    modality: Modality = Field(description="How it is taught.")
    reason: str = Field(description="Why this step and modality; generated, no personal data.")
    options: list[Modality] = Field(
        default_factory=list,
        description="Up to three modalities the student may choose from; the first is planned.",
    )
    overridden: bool = Field(
        default=False, description="Whether a teacher's override placed or shaped this step."
    )
    annotations: list[StepAnnotation] = Field(
        default_factory=list,
        description="Accommodations to honour on this step, in catalogue order.",
    )
    minutes: int | None = Field(
        default=None,
        ge=1,
        description="Session length when an accommodation changes it; null: the standard session.",
    )
    items: int | None = Field(
        default=None,
        ge=1,
        description="Items to attempt when an accommodation changes it; null: the standard count.",
    )
    context: str | None = Field(
        default=None,
        description="Interest tag chosen as the context of the step's task or project.",
    )


class MasteryUpdated(Event):
    """New evidence moved the estimated probability that a competency is mastered."""

    type = "org.pathwise.path.MasteryUpdated.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency.")
    p_mastery: float = Field(ge=0, le=1, description="Estimated P(mastered) after the evidence.")
    previous: float = Field(ge=0, le=1, description="Estimate before the evidence.")
    evidence_id: UUID = Field(description="Id of the event that carried the evidence.")
    level: MasteryLevel | None = Field(
        default=None, description="Readable band of the estimate after the evidence."
    )
    attempts: int | None = Field(
        default=None, ge=0, description="Evidence counted on the competency after this update."
    )
    p_correct: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description=(
            "Predicted P(right) of the student's next answer on the competency (BKT combined "
            "with the student's ability and recency), after this evidence."
        ),
    )


class LearnerProfileChanged(Event):
    """What path planning uses from a learner's profile changed (full new state).

    path-svc derives it from ``profile.events.v1`` so that its planner reads
    every input from one ordered log; it carries ids and tags, never free text.
    """

    type = "org.pathwise.path.LearnerProfileChanged.v1"
    topic = PATH_EVENTS.name

    goals: list[str] = Field(
        default_factory=list, description="Competency ids of active goals, most urgent first."
    )
    interests: list[str] = Field(default_factory=list, description="Interest tags.")
    requirements: list[str] = Field(
        default_factory=list, description="Instructional requirements of the student's plans."
    )
    preferred: list[Modality] = Field(default_factory=list, description="Preferred modalities.")
    avoided: list[Modality] = Field(default_factory=list, description="Modalities to avoid.")
    section_ids: list[str] = Field(default_factory=list, description="Class sections.")
    grade: str | None = Field(
        default=None,
        description="Roster grade, e.g. '5' or 'K': where a path over a K-8 framework starts.",
    )
    cause_event_id: UUID = Field(description="Id of the profile event that changed it.")
    goal_dates: dict[str, date] = Field(
        default_factory=dict,
        description="Earliest target date per goal competency, for goals that have one.",
    )
    strengths: list[str] = Field(default_factory=list, description="Strength codes.")
    needs: list[str] = Field(default_factory=list, description="Need codes.")
    confidence: int | None = Field(
        default=None,
        ge=1,
        le=4,
        description="Confidence (1-4) of the latest recent reflection not about one competency.",
    )
    competency_confidence: dict[str, int] = Field(
        default_factory=dict,
        description="Confidence (1-4) of the latest recent reflection about each competency.",
    )


class CompetencyMastered(Event):
    """The mastery estimate crossed the mastery threshold."""

    type = "org.pathwise.path.CompetencyMastered.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency.")
    p_mastery: float = Field(ge=0, le=1, description="Estimated P(mastered).")
    evidence_id: UUID = Field(description="Id of the event that carried the evidence.")


class PathReplanned(Event):
    """The student's learning path was recomputed; ``steps`` is the whole new path."""

    type = "org.pathwise.path.PathReplanned.v1"
    topic = PATH_EVENTS.name

    version: int = Field(ge=1, description="Path version, incremented per replan.")
    steps: list[PathStep] = Field(description="The new path, in order.")
    added: list[str] = Field(description="Competency ids new to the path.")
    removed: list[str] = Field(description="Competency ids no longer on the path.")
    reason: str = Field(description="Why the path changed; generated, no personal data.")
    cause_event_id: UUID = Field(description="Id of the event that triggered the replan.")


class SupportNeeded(Event):
    """The student is stuck or slipping on a competency and needs a person's help."""

    type = "org.pathwise.path.SupportNeeded.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency.")
    reason: Literal["stalled", "declining", "inactive"] = Field(description="What was detected.")
    detail: str = Field(description="Generated explanation; no personal data.")
    cause_event_id: UUID = Field(description="Id of the event that revealed it.")
    episode: int | None = Field(
        default=None, ge=1, description="Alert episode for this student and competency."
    )


class SupportResolved(Event):
    """The stall, decline or inactivity behind a SupportNeeded alert is over."""

    type = "org.pathwise.path.SupportResolved.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency.")
    reason: Literal["stalled", "declining", "inactive"] = Field(
        description="What had been detected."
    )
    episode: int = Field(ge=1, description="The alert episode this closes.")
    detail: str = Field(description="Generated explanation; no personal data.")
    cause_event_id: UUID = Field(description="Id of the event that showed it is over.")


class FrameworkCompetency(BaseModel):
    """One competency of a published framework, as the planner needs it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, description="The standard's code, e.g. '3.OA.A.1'.")
    description: str = Field(description="What the standard means (public curriculum text).")
    prerequisites: list[str] = Field(
        default_factory=list, description="Codes that must be mastered first."
    )
    params: dict[str, float] = Field(
        default_factory=dict, description="Mastery-model parameters, by name (e.g. p_init)."
    )
    group: str | None = Field(default=None, description="The cluster or domain it belongs to.")
    grade: str | None = Field(
        default=None, description="The grade it belongs to ('K', '3'), for placement."
    )
    descriptions: dict[str, str] = Field(
        default_factory=dict,
        description="The description in other languages, by language tag (English is "
        "``description``).",
    )


class FrameworkAssociation(BaseModel):
    """How a competency of this framework relates to one of the framework it follows."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["exactMatchOf", "replacedBy", "isRelatedTo"] = Field(
        description="The CASE association type."
    )
    code: str = Field(min_length=1, description="The competency in this framework.")
    previous: str = Field(min_length=1, description="The code it relates to, as known before.")


class FrameworkPublished(Event):
    """A version of a competency framework was imported and validated.

    Not about one student: ``student_id`` carries the partition key
    (``district:<id>`` of the publishing district, so the publication is
    ordered before the ``DistrictFrameworkChanged`` it causes; before that,
    ``framework:<name>``). ``content`` and ``associations`` make the framework
    itself a fact on the log, so replay rebuilds it.
    """

    type = "org.pathwise.path.FrameworkPublished.v1"
    topic = PATH_EVENTS.name

    name: str = Field(min_length=1, description="Framework name, e.g. 'ccssm-3-5'.")
    version: str = Field(min_length=1, description="Version of this framework, e.g. a date.")
    title: str = Field(description="Human-readable title.")
    source_uri: str | None = Field(default=None, description="CASE CFDocument URI, if any.")
    digest: str = Field(min_length=1, description="SHA-256 of the canonical framework JSON.")
    competencies: int = Field(ge=0, description="Number of competencies.")
    prerequisites: int = Field(ge=0, description="Number of prerequisite edges.")
    content: list[FrameworkCompetency] | None = Field(
        default=None, description="The competencies, prerequisites first."
    )
    associations: list[FrameworkAssociation] | None = Field(
        default=None, description="CASE associations to earlier codes, for carrying evidence."
    )
    titles: dict[str, str] = Field(
        default_factory=dict, description="The title in other languages, by language tag."
    )


class DistrictFrameworkChanged(Event):
    """A district now plans over another framework (or another version of it).

    ``student_id`` carries the partition key ``district:<id>``; the id derives
    from (district, digest, previous digest), so re-posting a package is a no-op.
    """

    type = "org.pathwise.path.DistrictFrameworkChanged.v1"
    topic = PATH_EVENTS.name

    name: str = Field(min_length=1, description="The framework the district moves to.")
    version: str = Field(min_length=1, description="Its version.")
    digest: str = Field(min_length=1, description="Its content digest (FrameworkPublished).")
    previous_digest: str | None = Field(
        default=None, description="The digest planned over before; none for the bundled default."
    )


class FrameworkAdopted(Event):
    """This student's path moves to the district's new framework.

    path-svc derives it from ``DistrictFrameworkChanged`` onto the student's
    own partition, so the switch (evidence carried over, one replan) sits in
    order among the student's other facts and replays the same.
    """

    type = "org.pathwise.path.FrameworkAdopted.v1"
    topic = PATH_EVENTS.name

    name: str = Field(min_length=1, description="The framework adopted.")
    digest: str = Field(min_length=1, description="Its content digest.")
    cause_event_id: UUID = Field(description="Id of the event it was derived from.")


class StepOverridden(Event):
    """A teacher pinned, skipped, moved or re-modalitied a step, or lifted an override.

    Overrides last across replanning until lifted.
    """

    type = "org.pathwise.path.StepOverridden.v1"
    topic = PATH_EVENTS.name

    override_id: UUID = Field(description="Id of this override; a lift names it.")
    action: Literal["pin", "skip", "move", "modality", "lift"] = Field(
        description="pin: keep on the path; skip: keep off; move: put at position; "
        "modality: teach this way; lift: end the override ``lifts``."
    )
    competency_id: str = Field(min_length=1, description="The competency of the step.")
    position: int | None = Field(default=None, ge=0, description="For move: 0-based position.")
    modality: Modality | None = Field(default=None, description="For modality: how to teach.")
    lifts: UUID | None = Field(default=None, description="For lift: the override it ends.")
    teacher_id: str = Field(min_length=1, description="Who overrode (an id, not a name).")
    note: EncryptedValue | None = Field(
        default=None, description="The teacher's note, encrypted with the student's key."
    )


class StepChosen(Event):
    """The student chose one of a step's offered modalities (voice and choice)."""

    type = "org.pathwise.path.StepChosen.v1"
    topic = PATH_EVENTS.name

    competency_id: str = Field(min_length=1, description="The competency of the step.")
    modality: Modality = Field(description="The option chosen.")


class SuggestedGroup(BaseModel):
    """Students who could work together on the same step."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    competency_id: str = Field(min_length=1, description="Their common next step.")
    modality: Modality = Field(description="The group modality.")
    student_ids: list[str] = Field(min_length=1, description="Members (ids only).")


class GroupsSuggested(Event):
    """Weekly small-group suggestions for a class section.

    ``student_id`` carries the partition key ``section:<id>``.
    """

    type = "org.pathwise.path.GroupsSuggested.v1"
    topic = PATH_EVENTS.name

    section_id: str = Field(min_length=1, description="The class section.")
    week: str = Field(pattern=r"^[0-9]{4}-W[0-9]{2}$", description="ISO week, e.g. '2025-W07'.")
    groups: list[SuggestedGroup] = Field(description="The suggested groups.")


class SchoolDayEnded(Event):
    """A school day of a district ended: the district's clock, on the log.

    Inactivity is judged from this event's fields, never from the wall clock,
    so a replay judges it the same. ``student_id`` carries the partition key
    ``district:<id>``; the id derives from (district, day), so a second replica
    or a restart never ticks twice.
    """

    type = "org.pathwise.path.SchoolDayEnded.v1"
    topic = PATH_EVENTS.name

    day: date = Field(description="The school day that ended, in the district's time zone.")
    inactive_after: int = Field(
        ge=1, description="School days without evidence after which a step counts as inactive."
    )
    idle_since: AwareDatetime = Field(
        description="Start of the first of those school days: a step on the path with no "
        "evidence since before it is inactive."
    )


class InactivityCheckDue(Event):
    """A district's school day ended and this student may have been idle.

    path-svc derives it from ``SchoolDayEnded`` onto the student's own partition,
    so the judgment sits in order among the student's other facts.
    """

    type = "org.pathwise.path.InactivityCheckDue.v1"
    topic = PATH_EVENTS.name

    day: date = Field(description="The school day that ended, in the district's time zone.")
    inactive_after: int = Field(
        ge=1, description="School days without evidence after which a step counts as inactive."
    )
    idle_since: AwareDatetime = Field(
        description="A step on the path with no evidence since before this is inactive."
    )
    cause_event_id: UUID = Field(description="Id of the SchoolDayEnded it was derived from.")
