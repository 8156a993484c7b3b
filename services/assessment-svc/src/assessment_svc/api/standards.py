"""OneRoster 1.2 results, Ed-Fi StudentAssessments and Caliper 1.2 envelopes over HTTP.

Each document is validated in its standard's terms (400/422 problem+json naming
the field), turned into evidence and admitted like any other result.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from assessment_svc.adapters.keyring import identities
from assessment_svc.api.lrs_auth import Client
from assessment_svc.commands import admission
from assessment_svc.domain import standards
from assessment_svc.domain.evidence import Evidence, Invalid
from pathwise_runtime.problems import Problem
from pathwise_runtime.service import Runtime

router = APIRouter(tags=["standards"])


class Accepted(BaseModel):
    """What a document became: one entry per piece of evidence."""

    results: list[dict[str, Any]]
    events: int = 0


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the body is not JSON: {exc}", field="body") from exc


def invalid(exc: Invalid) -> Problem:
    return Problem(
        422,
        str(exc),
        slug="validation-error",
        errors=[{"field": exc.field, "detail": exc.detail}],
    )


async def _admit(request: Request, district: str, items: list[Evidence]) -> list[dict[str, Any]]:
    runtime = _runtime(request)
    try:
        admitted = await admission.admit_all(
            runtime.pool, items, district=district, source=runtime.source
        )
    except admission.Conflict as exc:
        raise Problem(409, str(exc), slug="assessment-conflict") from exc
    except Invalid as exc:
        raise invalid(exc) from exc
    return [
        {
            "assessment_id": str(a.assessment_id),
            "status": str(a.outcome),
            "competency_id": a.competency_id,
        }
        for a in admitted
    ]


@router.put("/ims/oneroster/gradebook/v1p2/results/{sourcedId}", response_model=Accepted)
async def oneroster_result(sourcedId: str, who: Client, request: Request) -> Accepted:
    """OneRoster 1.2 ``putResult``: ``{"result": {...}}``."""
    try:
        items = standards.oneroster(
            sourcedId, await _json(request), identities(_runtime(request), who.district)
        )
    except Invalid as exc:
        raise invalid(exc) from exc
    return Accepted(results=await _admit(request, who.district, items))


class CsvReport(BaseModel):
    rows: int
    admitted: int
    duplicates: int
    rejected: list[dict[str, Any]]


@router.post("/ims/oneroster/gradebook/v1p2/results.csv", response_model=CsvReport)
async def oneroster_csv(who: Client, request: Request) -> CsvReport:
    """Bulk ``results.csv`` (OneRoster 1.2 CSV binding): good rows are taken, bad rows reported."""
    try:
        text = (await request.body()).decode("utf-8-sig")
        rows = standards.oneroster_csv(text, identities(_runtime(request), who.district))
    except UnicodeDecodeError as exc:
        raise Problem(400, "results.csv must be UTF-8", field="body") from exc
    except Invalid as exc:
        raise invalid(exc) from exc
    rejected: list[dict[str, Any]] = []
    admitted = duplicates = 0
    runtime = _runtime(request)
    for line, parsed in rows:
        if isinstance(parsed, Invalid):
            rejected.append({"line": line, "field": parsed.field, "detail": parsed.detail})
            continue
        try:
            done = await admission.admit_all(
                runtime.pool, parsed, district=who.district, source=runtime.source
            )
        except admission.Conflict as exc:
            rejected.append({"line": line, "field": "sourcedId", "detail": str(exc)})
            continue
        except Invalid as exc:
            rejected.append({"line": line, "field": exc.field, "detail": exc.detail})
            continue
        admitted += sum(a.outcome == "recorded" for a in done)
        duplicates += sum(a.outcome == "duplicate" for a in done)
    return CsvReport(rows=len(rows), admitted=admitted, duplicates=duplicates, rejected=rejected)


@router.post("/ed-fi/studentAssessments", response_model=Accepted, status_code=201)
async def edfi_student_assessment(who: Client, request: Request) -> Accepted:
    """An Ed-Fi Data Standard v5 StudentAssessment."""
    try:
        items = standards.edfi(await _json(request), identities(_runtime(request), who.district))
    except Invalid as exc:
        raise invalid(exc) from exc
    return Accepted(results=await _admit(request, who.district, items))


@router.post("/caliper/v1p2/envelopes", response_model=Accepted)
async def caliper_envelope(who: Client, request: Request) -> Accepted:
    """A Caliper 1.2 envelope; GradeEvents become results, AssessmentEvents are acknowledged."""
    try:
        items, count = standards.caliper(
            await _json(request), identities(_runtime(request), who.district)
        )
    except Invalid as exc:
        raise invalid(exc) from exc
    return Accepted(results=await _admit(request, who.district, items), events=count)
