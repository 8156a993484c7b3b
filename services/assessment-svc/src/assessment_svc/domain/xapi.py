"""xAPI 1.0.3 statements: parsing a request body, and what a statement means to Pathwise.

The models (``xapi_models``) and value rules (``xapi_values``) validate as the
specification requires; here a body becomes statements or a ``StatementError``
naming each bad field, and a statement yields what Pathwise takes from it (an
identity, an activity, a score) without I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from assessment_svc.domain.evidence import Evidence
from assessment_svc.domain.xapi_models import Agent, Group, Result, Statement
from assessment_svc.domain.xapi_values import VERSION, VOIDED, _timestamp, _uuid
from pathwise_contracts.identity import Identities

__all__ = [
    "VERSION",
    "VOIDED",
    "Agent",
    "Group",
    "Result",
    "Statement",
    "StatementError",
    "_timestamp",
    "_uuid",
    "content",
    "errors_of",
    "evidence",
    "group_digest",
    "parse",
    "score_of",
    "to_datetime",
]


_ONE = TypeAdapter(Statement)
_MANY = TypeAdapter(list[Statement])


class StatementError(ValueError):
    """Why a statement was refused, with the fields named."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['detail']}" for e in errors[:5]))
        self.errors = errors


def errors_of(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        # Drop pydantic's union-branch labels ("Agent", "list[Statement]"...): not fields.
        loc = [str(p) for p in err["loc"] if not _is_branch(p)]
        field = ".".join([prefix, *loc] if prefix else loc) or "statement"
        out.append({"field": field, "detail": err["msg"]})
    return out


_BRANCHES = {"Agent", "Group", "Activity", "StatementRef", "SubStatement", "list[Activity]"}


def _is_branch(part: object) -> bool:
    return isinstance(part, str) and (part in _BRANCHES or part.startswith("function-"))


def _nulls(value: Any, path: str = "") -> list[str]:
    """Where a property is null: xAPI allows it inside extensions only."""
    if isinstance(value, list):
        return [
            p for i, v in enumerate(value) for p in _nulls(v, f"{path}.{i}" if path else str(i))
        ]
    if not isinstance(value, dict):
        return []
    found: list[str] = []
    for key, v in value.items():
        here = f"{path}.{key}" if path else str(key)
        if v is None:
            found.append(here)
        elif key != "extensions":
            found.extend(_nulls(v, here))
    return found


def parse(body: Any) -> list[Statement]:
    """One statement or a list, validated; raises StatementError naming each bad field."""
    if nulls := _nulls(body):
        raise StatementError(
            [{"field": n, "detail": "null is not allowed outside extensions"} for n in nulls]
        )
    try:
        statements = (
            _MANY.validate_python(body) if isinstance(body, list) else [_ONE.validate_python(body)]
        )
    except ValidationError as exc:
        raise StatementError(errors_of(exc)) from exc
    if not statements:
        raise StatementError([{"field": "statement", "detail": "an empty list"}])
    ids = [s.id for s in statements if s.id]
    if len(ids) != len(set(ids)):
        raise StatementError([{"field": "id", "detail": "the same id twice in one request"}])
    return statements


def content(statement: Statement) -> dict[str, Any]:
    """What statement comparison looks at: the statement without LRS-set properties."""
    data = statement.model_dump(mode="json", exclude_none=True)
    for key in ("authority", "stored", "version"):
        data.pop(key, None)
    if "timestamp" in data:
        data["timestamp"] = to_datetime(data["timestamp"]).astimezone(UTC).isoformat()
    return data


def to_datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def evidence(
    statement: Statement, statement_id: str, occurred_at: datetime, ids: Identities
) -> Evidence | None:
    """The score a statement reports about its actor on an activity, if it reports one."""
    activity = statement.activity
    who = statement.actor.identity(ids)
    if activity is None or who is None or statement.result is None:
        return None
    points = score_of(statement.result)
    if points is None:
        return None
    score, max_score = points
    return Evidence(
        source="xapi",
        source_id=statement_id,
        identity=who,
        activity=f"xapi_activity:{activity}",
        score=score,
        max_score=max_score,
        occurred_at=occurred_at,
    )


def score_of(result: Result) -> tuple[float, float] | None:
    """Points earned and possible: raw against [min, max], else scaled, else success."""
    s = result.score
    if s is not None and s.raw is not None and s.max is not None:
        low = s.min if s.min is not None else min(0.0, s.raw)
        if s.max > low:
            return max(0.0, s.raw - low), s.max - low
    if s is not None and s.scaled is not None:
        return max(0.0, s.scaled), 1.0
    if result.success is not None:
        return (1.0 if result.success else 0.0), 1.0
    return None


def group_digest(actor: Agent | Group, ids: Identities) -> str:
    """An anonymous Group's stand-in identity: the digest of its sorted members."""
    members = sorted(m.identity(ids) or "" for m in getattr(actor, "member", None) or ())
    return ids.digest("xapi-group", ",".join(members))
