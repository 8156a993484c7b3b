"""The accommodation catalogue over HTTP: the codes a plan may name and what each means.

An importer or the portal's administrator page asks here instead of
guessing which codes profile-svc accepts; the answer is the catalogue
profile-svc validates with and path-svc plans with.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pathwise_contracts.accommodations import CATALOGUE, DEVICES
from pathwise_runtime.auth import CurrentPrincipal

router = APIRouter(prefix="/v1/accommodations", tags=["accommodations"])


class EntryOut(BaseModel):
    code: str
    label: str = Field(description="What a teacher sees on each step; {value} is the value.")
    rule: str = Field(description="'constraint' (the plan cannot break it) or 'annotation'.")
    effect: str
    planning: str = Field(description="What it means for planning.")
    grouping: str = Field(description="What it means for flexible groups.")
    value: str | None = Field(description="Kind of value the code takes after ':', if any.")
    default: str | None = Field(description="Value used when none is given.")


class CatalogueOut(BaseModel):
    entries: list[EntryOut]
    devices: list[str] = Field(description="Values of assistive_technology.")


@router.get("", response_model=CatalogueOut)
async def catalogue(who: CurrentPrincipal) -> CatalogueOut:
    """Every accommodation code, in catalogue order (the order annotations are shown in)."""
    return CatalogueOut(
        entries=[
            EntryOut(
                code=a.code,
                label=a.label,
                rule="constraint" if a.hard else "annotation",
                effect=a.effect,
                planning=a.planning,
                grouping=a.grouping,
                value=a.value,
                default=a.default,
            )
            for a in CATALOGUE
        ],
        devices=list(DEVICES),
    )
