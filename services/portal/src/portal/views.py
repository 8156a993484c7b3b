"""Turning service answers into what the templates show (shared by the role pages)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date, datetime
from typing import Any, TypeVar

from markupsafe import Markup

from pathwise_contracts import PathStep
from portal import chart, explain, graph
from portal.i18n import Translator
from portal.levels import LEVELS, Level, level
from portal.upstream import Upstream

T = TypeVar("T")


async def gather(*calls: Awaitable[T]) -> list[T]:
    """Several independent reads at once (a page waits for the slowest, not the sum)."""
    return list(await asyncio.gather(*calls))


class Framework:
    """The competency framework as path-svc publishes it, with lookups for the pages."""

    def __init__(self, body: dict[str, Any], lang: str = "en") -> None:
        """Texts in ``lang`` where the framework has them; English otherwise, and
        ``lang_of`` says which, so a page marks the English it falls back to."""
        self.title: str = body.get("titles", {}).get(lang) or body["title"]
        self.threshold: float = float(body["mastery_threshold"])
        own = {c["code"]: c.get("descriptions", {}).get(lang) for c in body["competencies"]}
        self.lang_of = {code: lang if text else "en" for code, text in own.items()}
        self.competencies = [
            graph.Competency(
                c["code"], own[c["code"]] or c["description"], tuple(c["prerequisites"])
            )
            for c in body["competencies"]
        ]
        self.describe = {c.code: c.description for c in self.competencies}
        self.code_of = {c.code.lower(): c.code for c in self.competencies}
        """The framework's spelling of a code profile-svc keeps in lower case (goals)."""

    @classmethod
    async def load(cls, up: Upstream, token: str) -> Framework:
        return cls(await up.get("path", "/v1/framework", token))


def levels_of(mastery: dict[str, Any] | None, threshold: float) -> dict[str, Level]:
    """Level per competency from path-svc's mastery answer (None: no evidence yet)."""
    if not mastery:
        return {}
    return {
        c["competency_id"]: "mastered"
        if c["mastered"]
        else level(float(c["p_mastery"]), int(c["attempts"]), threshold)
        for c in mastery["competencies"]
    }


def steps_of(path: dict[str, Any] | None) -> list[PathStep]:
    return [PathStep.model_validate(s) for s in path["steps"]] if path else []


def mastery_map(
    framework: Framework, levels: dict[str, Level], steps: list[PathStep], name: str, t: Translator
) -> Markup:
    counts = {lvl: sum(1 for v in levels.values() if v == lvl) for lvl in LEVELS}
    counts["not_started"] = len(framework.competencies) - sum(
        counts[lvl] for lvl in LEVELS if lvl != "not_started"
    )
    labels = {lvl: t(f"level.{lvl}") for lvl in LEVELS}
    summary = ", ".join(f"{counts[lvl]} {labels[lvl]}" for lvl in LEVELS)
    return graph.render(
        framework.competencies,
        levels,
        labels=labels,
        title=t("teacher.map_title", name=name, framework=framework.title),
        description=t("teacher.map_desc", n=len(framework.competencies), summary=summary),
        on_path=frozenset(s.competency_id for s in steps),
    )


def mastered_days(mastery: dict[str, Any] | None) -> list[date]:
    """The day each competency was mastered (path-svc's ``mastered_at``: the evidence that
    took it over the threshold; its latest evidence where an older path-svc does not say)."""
    if not mastery:
        return []
    return [
        datetime.fromisoformat(c.get("mastered_at") or c["updated_at"]).date()
        for c in mastery["competencies"]
        if c["mastered"]
    ]


def progress_chart(points: list[chart.Point], t: Translator) -> Markup:
    if points:
        desc = t(
            "progress_chart_desc",
            n=points[-1].total,
            first=points[0].day.isoformat(),
            last=points[-1].day.isoformat(),
        )
    else:
        desc = t("progress_chart_empty")
    return chart.render(
        points, title=t("progress_chart_title"), description=desc, axis=t("progress_axis")
    )


def family_steps(steps: list[PathStep], t: Translator, name: str) -> list[dict[str, Any]]:
    """Each step in the guardian's language: how, and why in plain words."""
    return [
        {
            "code": s.competency_id,
            "how": t("how", modality=t(f"modality.{s.modality.value}")),
            "why": [t(key, name=name) for key in explain.why(s)],
        }
        for s in steps
    ]


def evidence_by_competency(assessments: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """The results behind each estimate, newest first, grouped by competency."""
    out: dict[str, list[dict[str, Any]]] = {}
    for a in (assessments or {}).get("assessments", []):
        out.setdefault(a["competency_id"], []).append(a)
    return dict(sorted(out.items()))


def name_of(student: dict[str, Any]) -> str:
    name = student.get("display_name")
    return str(name) if name else str(student["student_id"])
