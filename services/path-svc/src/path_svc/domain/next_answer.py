"""The combined next-answer model as the service runs it, per framework.

``pathwise mastery fit`` fits weights per skill of its data set; the
service's competencies are a framework's, not that data set's, so it takes
the pooled weights (``frameworks/response-weights.json``, written by
``pathwise mastery fit --weights-out``: how ability, learning offset and
recency move the odds of a right answer, across skills) and each
competency's own BKT parameters from the framework. Without the file the
model is BKT alone.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import Any

from path_svc.domain.framework import Framework
from path_svc.domain.mastery import BktParams
from path_svc.domain.response import FEATURES, ResponseModel, SkillModel

WEIGHTS_FILE = "response-weights.json"
FORMAT = "pathwise.response-weights.v1"


def pooled_from(data: Mapping[str, Any]) -> SkillModel:
    """The pooled weights of a ``response-weights`` document; ValueError if it does not fit."""
    if data.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} document (format={data.get('format')!r})")
    if list(data.get("features", [])) != list(FEATURES):
        raise ValueError("the weights were fitted for other features; fit them again")
    return SkillModel(BktParams(), float(data["share_right"]), tuple(map(float, data["weights"])))


def weights_document(pooled: SkillModel, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The ``response-weights`` document of pooled weights (``mastery fit --weights-out``)."""
    return {
        "format": FORMAT,
        "meta": dict(meta),
        "features": list(FEATURES),
        "share_right": round(pooled.share_right, 5),
        "weights": [round(w, 5) for w in pooled.weights],
    }


def bkt_only() -> SkillModel:
    """Weight 1 on BKT's logit and 0 elsewhere: exactly BKT's prediction."""
    weights = tuple(1.0 if name == "bkt" else 0.0 for name in FEATURES)
    return SkillModel(BktParams(), 0.5, weights)


@functools.cache
def pooled() -> SkillModel:
    """The bundled pooled weights (read once), or BKT alone without the file."""
    path = resources.files("path_svc") / "frameworks" / WEIGHTS_FILE
    if not path.is_file():
        return bkt_only()
    return pooled_from(json.loads(path.read_text("utf-8")))


def for_framework(framework: Framework, weights: SkillModel | None = None) -> ResponseModel:
    """The model over ``framework``'s competencies: their BKT, the pooled weights."""
    base = weights or pooled()
    skills = {c.code: replace(base, bkt=c.params) for c in framework.competencies}
    return ResponseModel(skills, base)
