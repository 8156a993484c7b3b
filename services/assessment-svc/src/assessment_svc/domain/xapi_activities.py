"""Canonical Activity definitions (xAPI 1.0.3 Data 2.4.4.1, Comm 2.5).

The LRS keeps, per district, the latest definition each statement gave of an
activity: a district's own clients are the authority for its activities. A newer
definition replaces each property it states and adds languages to language maps,
so a French name sent later does not erase the English one (extensions alike).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from assessment_svc.domain.xapi_models import Activity, Statement, SubStatement

MERGED = ("name", "description", "extensions")  # maps: a newer key adds, not replaces
K = TypeVar("K")


def definitions(statement: Statement) -> dict[str, dict[str, Any]]:
    """Every definition the statement carries, by activity IRI (object, context
    activities, and the same inside a SubStatement); later mentions merge in."""
    found: dict[str, dict[str, Any]] = {}
    sub = statement.object
    parts = (statement, sub) if isinstance(sub, SubStatement) else (statement,)
    for part in parts:
        named: list[Activity] = []
        if isinstance(part.object, Activity):
            named.append(part.object)
        if part.context and part.context.contextActivities:
            named.extend(part.context.contextActivities.all())
        for activity in named:
            if activity.definition is not None:
                given = activity.definition.model_dump(mode="json", exclude_none=True)
                found[activity.id] = merged(found.get(activity.id, {}), given)
    return found


def merged(known: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(known)
    for key, value in given.items():
        if key in MERGED and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def folded(
    known: Mapping[K, dict[str, Any]], given: Iterable[tuple[K, dict[str, Any]]]
) -> dict[K, dict[str, Any]]:
    """The canonical definitions after applying, in log order, what statements gave."""
    out = dict(known)
    for activity, definition in given:
        out[activity] = merged(out.get(activity, {}), definition)
    return out


def activity_object(activity: str, definition: Mapping[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"objectType": "Activity", "id": activity}
    if definition:
        body["definition"] = dict(definition)
    return body


_ACTIVITY_KEYS = ("object", "parent", "grouping", "category", "other")


def named(document: Any, key: str = "") -> set[str]:
    """Every activity id a stored statement document names."""
    if isinstance(document, list):
        return set().union(*(named(v, key) for v in document)) if document else set()
    if not isinstance(document, dict):
        return set()
    found = {str(document["id"])} if _is_activity(document, key) else set()
    return found.union(*(named(v, k) for k, v in document.items()))


def canonical(document: Any, known: Mapping[str, Mapping[str, Any]], key: str = "") -> Any:
    """``format=canonical``: every activity shown with the LRS's canonical definition."""
    if isinstance(document, list):
        return [canonical(v, known, key) for v in document]
    if not isinstance(document, dict):
        return document
    out = {k: canonical(v, known, k) for k, v in document.items()}
    if _is_activity(document, key) and document["id"] in known:
        out["definition"] = dict(known[document["id"]])
    return out


def _is_activity(value: dict[str, Any], key: str) -> bool:
    return (
        key in _ACTIVITY_KEYS
        and value.get("objectType", "Activity") == "Activity"
        and "id" in value
    )
