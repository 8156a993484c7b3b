"""Fitted BKT parameters (and the combined next-answer model) as JSON files:
written by ``pathwise mastery fit``, read by the service per framework.

A framework ``<name>`` bundled with the service may have a
``frameworks/<name>.params.json`` beside it; its per-skill entries override
the framework's own defaults, and its ``default`` applies to competencies it
does not list. Without the file the framework's defaults stand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from path_svc.domain.estimation import Fit
from path_svc.domain.mastery import BktParams
from path_svc.domain.response import FEATURES, ResponseModel, SkillModel

FORMAT = "pathwise.bkt-params.v1"


@dataclass(frozen=True, slots=True)
class ParamsTable:
    """Parameters per skill code and the default for the rest."""

    default: BktParams
    skills: Mapping[str, BktParams] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def get(self, code: str) -> BktParams:
        return self.skills.get(code, self.default)

    @classmethod
    def from_fit(cls, fit: Fit, **meta: Any) -> ParamsTable:
        return cls(
            fit.default,
            dict(fit.params),
            {
                "answers": fit.answers,
                "iterations": fit.iterations,
                "log_likelihood": round(fit.log_likelihood, 3),
                **meta,
            },
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "meta": dict(self.meta),
            "default": _rounded(self.default),
            "skills": {code: _rounded(p) for code, p in sorted(self.skills.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParamsTable:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file (format={data.get('format')!r})")
        return cls(
            BktParams(**data["default"]),
            {str(code): BktParams(**p) for code, p in data.get("skills", {}).items()},
            dict(data.get("meta", {})),
        )

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> ParamsTable:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _rounded(p: BktParams) -> dict[str, float]:
    return {name: round(value, 5) for name, value in asdict(p).items()}


RESPONSE_FORMAT = "pathwise.response-model.v1"


@dataclass(frozen=True, slots=True)
class ResponseTable:
    """The combined next-answer model as a JSON file (``pathwise mastery fit --model-out``)."""

    model: ResponseModel
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RESPONSE_FORMAT,
            "meta": dict(self.meta),
            "features": list(FEATURES),
            "default": _skill_json(self.model.default),
            "skills": {code: _skill_json(m) for code, m in sorted(self.model.skills.items())},
            "items": {item: round(share, 5) for item, share in sorted(self.model.items.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResponseTable:
        if data.get("format") != RESPONSE_FORMAT:
            raise ValueError(f"not a {RESPONSE_FORMAT} file (format={data.get('format')!r})")
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError("the file's features are not this model's; fit it again")
        skills = {str(code): _skill(m) for code, m in data.get("skills", {}).items()}
        items = {str(item): float(share) for item, share in data.get("items", {}).items()}
        return cls(
            ResponseModel(skills, _skill(data["default"]), items), dict(data.get("meta", {}))
        )

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> ResponseTable:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _skill_json(m: SkillModel) -> dict[str, Any]:
    return {
        "bkt": _rounded(m.bkt),
        "share_right": round(m.share_right, 5),
        "weights": [round(w, 5) for w in m.weights],
        "related": [[code, round(w, 5)] for code, w in m.related],
    }


def _skill(data: Mapping[str, Any]) -> SkillModel:
    return SkillModel(
        BktParams(**data["bkt"]),
        float(data["share_right"]),
        tuple(map(float, data["weights"])),
        tuple((str(code), float(w)) for code, w in data.get("related", ())),
    )
