"""The competency mapping districts load, and the report of what it does not cover."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assessment_svc.api.standards import invalid
from assessment_svc.commands import mappings as commands
from assessment_svc.domain.evidence import Invalid
from pathwise_contracts import CompetencyMapping
from pathwise_runtime.auth import AdminOrService, Staff
from pathwise_runtime.problems import Problem
from pathwise_runtime.service import Runtime

router = APIRouter(prefix="/v1", tags=["competency mapping"])

Kind = Literal[
    "xapi_activity",
    "oneroster_line_item",
    "edfi_assessment",
    "edfi_objective",
    "caliper_assessment",
]


class Mapping(BaseModel):
    """``ref`` is the activity IRI, line item sourcedId, ``namespace#assessmentIdentifier``
    (Ed-Fi; objectives add ``#identificationCode``) or the Caliper assessment IRI."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    ref: str = Field(min_length=1, max_length=1000)
    competency_id: str = Field(min_length=1, max_length=128)
    max_score: float | None = Field(default=None, gt=0)


class Mappings(BaseModel):
    mappings: list[Mapping] = Field(max_length=10_000)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200)]


async def _store(request: Request, district: str, mappings: list[Mapping], key: str | None) -> int:
    runtime = _runtime(request)
    try:
        return await commands.change(
            runtime.pool,
            district,
            [CompetencyMapping(**m.model_dump()) for m in mappings],
            source=runtime.source,
            idempotency_key=key,
        )
    except commands.KeyReused as exc:
        raise Problem(
            422, "Idempotency-Key was used with a different body", field="Idempotency-Key"
        ) from exc


@router.put("/competency-mappings")
async def put_mappings(
    body: Mappings,
    who: AdminOrService,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, int]:
    """Add or replace mappings; results arriving afterwards use them, held results are
    released. A retry with the same ``Idempotency-Key`` changes nothing again."""
    return {"stored": await _store(request, who.district, body.mappings, idempotency_key)}


@router.post("/competency-mappings.csv")
async def import_mappings(
    who: AdminOrService, request: Request, idempotency_key: IdempotencyKey = None
) -> dict[str, int]:
    """CSV with columns kind, ref, competency_id[, max_score]: all rows or none."""
    try:
        reader = csv.DictReader(io.StringIO((await request.body()).decode("utf-8-sig")))
        rows = [
            Mapping.model_validate({k: v for k, v in row.items() if v not in (None, "")})
            for row in reader
        ]
    except UnicodeDecodeError as exc:
        raise Problem(400, "the CSV must be UTF-8", field="body") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise invalid(Invalid(f"line {reader.line_num}: {field}", err["msg"])) from exc
    return {"stored": await _store(request, who.district, rows, idempotency_key)}


@router.get("/competency-mappings", response_model=Mappings)
async def get_mappings(who: Staff, request: Request) -> Mappings:
    rows = await _runtime(request).pool.fetch(
        """SELECT kind, ref, competency_id, max_score FROM competency_map
            WHERE district_id = $1 ORDER BY kind, ref""",
        who.district,
    )
    return Mappings(mappings=[Mapping(**r) for r in rows])


class UnmappedActivity(BaseModel):
    activity: str
    results: int
    first_seen: str
    last_seen: str


@router.get("/unmapped-results", response_model=list[UnmappedActivity])
async def unmapped(
    who: Staff, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[UnmappedActivity]:
    """Results that reached no competency, grouped by what they assessed."""
    rows = await _runtime(request).pool.fetch(
        """SELECT activity, count(*) AS results, min(occurred_at) AS first_seen,
                  max(occurred_at) AS last_seen
             FROM unmapped WHERE district_id = $1 AND NOT voided
            GROUP BY activity ORDER BY count(*) DESC, activity LIMIT $2""",
        who.district,
        limit,
    )
    return [
        UnmappedActivity(
            activity=r["activity"],
            results=r["results"],
            first_seen=r["first_seen"].isoformat(),
            last_seen=r["last_seen"].isoformat(),
        )
        for r in rows
    ]
