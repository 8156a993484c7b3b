"""Fitted BKT parameters as a JSON file: written by ``pathwise mastery fit``,
read by the service per framework.

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
