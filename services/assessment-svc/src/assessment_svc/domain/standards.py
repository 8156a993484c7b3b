"""OneRoster 1.2 results, Ed-Fi v5 StudentAssessments and Caliper 1.2 envelopes as Evidence.

Each parser validates the document as its standard defines it (the fields we
rely on) and raises ``Invalid`` naming the field. Where a standard carries no
maximum (OneRoster results, Ed-Fi score results) the competency mapping
supplies it; CASE learning objectives map straight to competencies.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from typing import Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from assessment_svc.domain.evidence import Evidence, Invalid
from pathwise_contracts.identity import Identities

CALIPER_V1P2 = "http://purl.imsglobal.org/ctx/caliper/v1p2"


class _Doc(BaseModel):
    # Standards grow: unknown properties are tolerated, known ones are checked.
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


T = TypeVar("T", bound=BaseModel)


def _validate(model: type[T], body: Any, prefix: str) -> T:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join([prefix, *(str(p) for p in err["loc"])]).strip(".")
        raise Invalid(field or prefix, err["msg"]) from exc


# --- OneRoster 1.2 Gradebook -------------------------------------------------------


class GUIDRef(_Doc):
    sourcedId: str = Field(min_length=1)
    type: str | None = None
    href: str | None = None


class LearningObjectiveResult(_Doc):
    learningObjectiveId: str = Field(min_length=1)
    score: float | None = Field(default=None, ge=0)
    textScore: str | None = None


class LearningObjectiveSet(_Doc):
    source: str = Field(min_length=1)
    learningObjectiveResults: list[LearningObjectiveResult]


class OneRosterResult(_Doc):
    sourcedId: str | None = None
    status: Literal["active", "tobedeleted"] = "active"
    lineItem: GUIDRef
    student: GUIDRef
    scoreStatus: Literal["exempt", "fully graded", "not submitted", "partially graded", "submitted"]
    score: float | None = Field(default=None, ge=0)
    scoreDate: date | datetime
    learningObjectiveSet: list[LearningObjectiveSet] | None = None


def _when(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(12), tzinfo=UTC)


def oneroster(sourced_id: str, body: Any, ids: Identities) -> list[Evidence]:
    """A ``{"result": {...}}`` document: evidence per CASE objective, else for the line item."""
    if not isinstance(body, dict) or "result" not in body:
        raise Invalid("result", 'the body must be {"result": {...}}')
    result = _validate(OneRosterResult, body["result"], "result")
    if result.sourcedId is not None and result.sourcedId != sourced_id:
        raise Invalid("result.sourcedId", "must equal the sourcedId in the path")
    if result.status != "active" or result.scoreStatus not in ("fully graded", "partially graded"):
        return []  # nothing graded (yet): accepted, no evidence
    who = ids.digest("oneroster", result.student.sourcedId)
    when = _when(result.scoreDate)
    out: list[Evidence] = []
    for s_index, objectives in enumerate(result.learningObjectiveSet or ()):
        if objectives.source.lower() != "case":
            continue
        for o_index, objective in enumerate(objectives.learningObjectiveResults):
            if objective.score is None:
                raise Invalid(
                    f"result.learningObjectiveSet.{s_index}.learningObjectiveResults."
                    f"{o_index}.score",
                    "a CASE objective result needs a score",
                )
            out.append(
                Evidence(
                    source="oneroster",
                    source_id=f"{sourced_id}#{objective.learningObjectiveId}",
                    identity=who,
                    activity=f"oneroster_line_item:{result.lineItem.sourcedId}",
                    score=objective.score,
                    max_score=0.0,  # completed from the mapping (or 100)
                    occurred_at=when,
                    competency_id=objective.learningObjectiveId,
                )
            )
    if not out:
        if result.score is None:
            raise Invalid("result.score", "a graded result needs a score")
        out.append(
            Evidence(
                source="oneroster",
                source_id=sourced_id,
                identity=who,
                activity=f"oneroster_line_item:{result.lineItem.sourcedId}",
                score=result.score,
                max_score=0.0,
                occurred_at=when,
            )
        )
    return out


_CSV_COLUMNS = ("sourcedId", "lineItemSourcedId", "studentSourcedId", "scoreStatus", "score")


def oneroster_csv(text: str, ids: Identities) -> list[tuple[int, list[Evidence] | Invalid]]:
    """OneRoster 1.2 ``results.csv``: per data row (1-based line), its evidence or why not."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in (*_CSV_COLUMNS, "scoreDate") if c not in (reader.fieldnames or ())]
    if missing:
        raise Invalid("results.csv", f"missing columns: {', '.join(missing)}")
    out: list[tuple[int, list[Evidence] | Invalid]] = []
    for line, row in enumerate(reader, start=2):
        body = {
            "result": {
                "sourcedId": row["sourcedId"],
                "status": row.get("status") or "active",
                "lineItem": {"sourcedId": row["lineItemSourcedId"]},
                "student": {"sourcedId": row["studentSourcedId"]},
                "scoreStatus": row["scoreStatus"],
                "score": row["score"] or None,
                "scoreDate": row["scoreDate"],
            }
        }
        try:
            out.append((line, oneroster(row["sourcedId"], body, ids)))
        except Invalid as exc:
            out.append((line, exc))
    return out


# --- Ed-Fi Data Standard v5 StudentAssessment ----------------------------------------


class AssessmentReference(_Doc):
    assessmentIdentifier: str = Field(min_length=1)
    namespace: str = Field(min_length=1)


class StudentReference(_Doc):
    studentUniqueId: str = Field(min_length=1)


class ScoreResult(_Doc):
    assessmentReportingMethodDescriptor: str = Field(min_length=1)
    resultDatatypeTypeDescriptor: str = Field(min_length=1)
    result: str = Field(min_length=1)


class PerformanceLevel(_Doc):
    assessmentReportingMethodDescriptor: str = Field(min_length=1)
    performanceLevelDescriptor: str = Field(min_length=1)
    performanceLevelMet: bool | None = None


class ObjectiveAssessmentReference(_Doc):
    assessmentIdentifier: str = Field(min_length=1)
    identificationCode: str = Field(min_length=1)
    namespace: str = Field(min_length=1)


class StudentObjectiveAssessment(_Doc):
    objectiveAssessmentReference: ObjectiveAssessmentReference
    scoreResults: list[ScoreResult] = Field(default_factory=list)
    performanceLevels: list[PerformanceLevel] = Field(default_factory=list)


class StudentAssessment(_Doc):
    studentAssessmentIdentifier: str = Field(min_length=1)
    assessmentReference: AssessmentReference
    studentReference: StudentReference
    administrationDate: datetime
    scoreResults: list[ScoreResult] = Field(default_factory=list)
    performanceLevels: list[PerformanceLevel] = Field(default_factory=list)
    studentObjectiveAssessments: list[StudentObjectiveAssessment] = Field(default_factory=list)


_NUMERIC = ("decimal", "integer", "percentile", "percent")


def _points(scores: list[ScoreResult], levels: list[PerformanceLevel], where: str) -> float | None:
    """The first numeric score result; else 1/0 from a performance level met."""
    for index, score in enumerate(scores):
        kind = score.resultDatatypeTypeDescriptor.rsplit("#", 1)[-1].lower()
        if any(k in kind for k in _NUMERIC):
            try:
                value = float(score.result)
            except ValueError as exc:
                raise Invalid(f"{where}scoreResults.{index}.result", "must be a number") from exc
            if value < 0 or value != value or value in (float("inf"), float("-inf")):
                raise Invalid(f"{where}scoreResults.{index}.result", "must be a number >= 0")
            return value
    for level in levels:
        if level.performanceLevelMet is not None:
            return 1.0 if level.performanceLevelMet else 0.0
    return None


def edfi(body: Any, ids: Identities) -> list[Evidence]:
    """Evidence per objective assessment, else for the whole assessment."""
    doc = _validate(StudentAssessment, body, "")
    when = doc.administrationDate
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    who = ids.digest("edfi", doc.studentReference.studentUniqueId)
    ref = doc.assessmentReference
    source_id = f"{ref.namespace}#{ref.assessmentIdentifier}#{doc.studentAssessmentIdentifier}"
    out: list[Evidence] = []
    for index, objective in enumerate(doc.studentObjectiveAssessments):
        o = objective.objectiveAssessmentReference
        points = _points(
            objective.scoreResults,
            objective.performanceLevels,
            f"studentObjectiveAssessments.{index}.",
        )
        if points is None:
            continue
        out.append(
            Evidence(
                source="edfi",
                source_id=f"{source_id}#{o.identificationCode}",
                identity=who,
                activity=f"edfi_objective:{o.namespace}#{o.assessmentIdentifier}#"
                f"{o.identificationCode}",
                score=points,
                max_score=0.0,
                occurred_at=when,
            )
        )
    if not out:
        points = _points(doc.scoreResults, doc.performanceLevels, "")
        if points is None:
            raise Invalid("scoreResults", "needs a numeric score result or a performance level")
        out.append(
            Evidence(
                source="edfi",
                source_id=source_id,
                identity=who,
                activity=f"edfi_assessment:{ref.namespace}#{ref.assessmentIdentifier}",
                score=points,
                max_score=0.0,
                occurred_at=when,
            )
        )
    return out


# --- Caliper 1.2 ---------------------------------------------------------------------


class Entity(_Doc):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
    type: str = Field(min_length=1)


class Attempt(Entity):
    assignee: Entity
    assignable: Entity


class CaliperScore(Entity):
    scoreGiven: float = Field(ge=0)
    maxScore: float = Field(gt=0)


class CaliperEvent(_Doc):
    id: str = Field(pattern=r"^urn:uuid:[0-9a-fA-F-]{36}$")
    type: str
    action: str
    eventTime: AwareDatetime
    actor: Entity
    object: Entity


class GradeEvent(CaliperEvent):
    type: Literal["GradeEvent"]
    action: Literal["Graded"]
    object: Attempt
    generated: CaliperScore


class Envelope(_Doc):
    sensor: str = Field(min_length=1)
    sendTime: AwareDatetime
    dataVersion: Literal["http://purl.imsglobal.org/ctx/caliper/v1p2"]
    data: list[dict[str, Any]] = Field(min_length=1)


_ASSESSMENT_ACTIONS = {"Started", "Paused", "Resumed", "Restarted", "Reset", "Submitted"}


def caliper(body: Any, ids: Identities) -> tuple[list[Evidence], int]:
    """Evidence from the envelope's GradeEvents, and how many events it carried."""
    envelope = _validate(Envelope, body, "")
    out: list[Evidence] = []
    for index, raw in enumerate(envelope.data):
        where = f"data.{index}"
        kind = raw.get("type")
        if kind == "GradeEvent":
            event = _validate(GradeEvent, raw, where)
            if event.generated.scoreGiven > event.generated.maxScore:
                raise Invalid(f"{where}.generated.scoreGiven", "must not exceed maxScore")
            out.append(
                Evidence(
                    source="caliper",
                    source_id=event.id.removeprefix("urn:uuid:").lower(),
                    identity=ids.digest("caliper", event.object.assignee.id),
                    activity=f"caliper_assessment:{event.object.assignable.id}",
                    score=event.generated.scoreGiven,
                    max_score=event.generated.maxScore,
                    occurred_at=event.eventTime,
                )
            )
        elif kind == "AssessmentEvent":
            event_ = _validate(CaliperEvent, raw, where)
            if event_.action not in _ASSESSMENT_ACTIONS:
                raise Invalid(f"{where}.action", f"must be one of {sorted(_ASSESSMENT_ACTIONS)}")
        else:
            raise Invalid(f"{where}.type", "must be AssessmentEvent or GradeEvent")
    return out, len(envelope.data)
