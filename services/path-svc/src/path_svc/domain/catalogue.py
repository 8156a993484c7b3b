"""The frameworks bundled with path-svc, read from the package's ``frameworks/`` folder.

Kept apart from ``framework`` and ``case`` so that both build on the model
and neither needs the other: a bundled framework is a CASE package
(``<name>.case.json``) or plain JSON (``<name>.json``), with fitted
parameters beside it.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from path_svc.domain.case import from_case
from path_svc.domain.framework import Framework

DEFAULT_FRAMEWORK = "grade3-math"
LANGUAGES = ("es", "vi", "zh-Hans", "ar")
"""The portal's languages besides English, which every framework has."""


def load(name: str) -> Framework:
    """A framework bundled with the service, by file name without ``.json``.

    Fitted parameters in ``<name>.params.json`` beside it, when present,
    replace the framework's own per-competency defaults.
    """
    folder = resources.files("path_svc") / "frameworks"
    case = folder / f"{name}.case.json"
    if case.is_file():
        framework = from_case(json.loads(case.read_text("utf-8")), name, _languages(folder, name))
    else:
        framework = Framework.from_dict(json.loads((folder / f"{name}.json").read_text("utf-8")))
    fitted = folder / f"{name}.params.json"
    if fitted.is_file():
        framework = framework.with_params(json.loads(fitted.read_text("utf-8")))
    return framework


def _languages(folder: Traversable, name: str) -> dict[str, dict[str, Any]]:
    """The sibling packages ``<name>.<language>.case.json`` (see ``case``), by language."""
    out: dict[str, dict[str, Any]] = {}
    for lang in LANGUAGES:
        sibling = folder / f"{name}.{lang}.case.json"
        if sibling.is_file():
            out[lang] = json.loads(sibling.read_text("utf-8"))
    return out


@functools.cache
def names() -> tuple[str, ...]:
    """Every bundled framework: a CASE package ``<name>.case.json`` (its language
    siblings are ``<name>.<lang>.case.json``) or a plain ``<name>.json`` framework.
    The fitted parameters and model weights beside them are not frameworks."""
    found = set()
    for entry in (resources.files("path_svc") / "frameworks").iterdir():
        file = entry.name
        if file.endswith(".case.json") and file.count(".") == 2:
            found.add(file.removesuffix(".case.json"))
        elif (
            file.endswith(".json")
            and file.count(".") == 1
            and "competencies" in json.loads(entry.read_text("utf-8"))
        ):
            found.add(file.removesuffix(".json"))
    return tuple(sorted(found))


@functools.cache
def load_default() -> Framework:
    """The framework the service plans over (loaded and validated once)."""
    return load(DEFAULT_FRAMEWORK)
