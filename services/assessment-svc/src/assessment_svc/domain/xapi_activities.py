"""Canonical Activity definitions (xAPI 1.0.3 Data 2.4.4.1, Comm 2.5).

The LRS keeps, per district, the latest definition statements gave of an
activity: a district's own clients are the authority for its activities. A later
statement's definition replaces each property it states and adds languages to maps,
so a French name sent later does not erase the English one (extensions alike).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from assessment_svc.domain.xapi_models import Activity, Statement, SubStatement

MERGED = ("name", "description", "extensions")  # maps: a newer key adds, not replaces


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


# Each property (and each language of a map) remembers the stamp of the statement
# that gave it: [stamp, value]. Joining keeps the later stamp, so the result is the
# same whatever order the partitions arrive in, live or on replay.
Stamped = dict[str, Any]


def stamp_of(stored: datetime, statement_id: UUID) -> str:
    """A total order on statements: when the LRS stored them, then their id."""
    return f"{stored.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%f')}|{statement_id}"


def stamped(definition: Mapping[str, Any], stamp: str) -> Stamped:
    return {
        key: {sub: [stamp, v] for sub, v in value.items()}
        if key in MERGED and isinstance(value, dict)
        else [stamp, value]
        for key, value in definition.items()
    }


def joined(a: Stamped, b: Stamped) -> Stamped:
    """The later of each property (each language), from either side."""
    out = dict(a)
    for key, value in b.items():
        mine = out.get(key)
        if isinstance(mine, dict) and isinstance(value, dict):
            out[key] = {sub: _later(mine.get(sub), v) for sub, v in value.items()} | {
                sub: v for sub, v in mine.items() if sub not in value
            }
        elif mine is None or _latest(value) > _latest(mine):
            out[key] = value
    return out


def definition_of(state: Stamped) -> dict[str, Any]:
    return {
        key: {sub: v[1] for sub, v in value.items()} if isinstance(value, dict) else value[1]
        for key, value in state.items()
    }


def _later(a: list[Any] | None, b: list[Any]) -> list[Any]:
    return b if a is None or _order(b) > _order(a) else a


def _order(leaf: list[Any]) -> tuple[str, str]:
    return leaf[0], json.dumps(leaf[1], sort_keys=True)  # equal stamps: still one answer


def _latest(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return max((_order(v) for v in value.values()), default=("", ""))
    return _order(value)


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
