"""Backward compatibility between two JSON Schemas of the same event type.

The log is kept forever and replayed, so today's model must still accept every
event written under the old schema. A change is breaking when the new schema
rejects something the old one accepted. This is a structural approximation of
that rule, tuned for the schemas pydantic generates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Schema = dict[str, Any]
_UNION_KEYS = ("anyOf", "oneOf")
_ANY = "any"


@dataclass
class _Ctx:
    old_root: Schema
    new_root: Schema
    seen: set[tuple[str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def report(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")


def breaking_changes(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Ways ``new_schema`` rejects data ``old_schema`` accepted; empty if compatible."""
    ctx = _Ctx(old_schema, new_schema)
    _compare(ctx, "$", old_schema, new_schema)
    return ctx.problems


def _resolve(root: Schema, node: Schema) -> tuple[Schema, str]:
    """Inline a local ``$ref`` (siblings win); returns the node and the ref followed."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node, ""
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, got {ref!r}")
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return merged, ref


def _branches(root: Schema, node: Schema) -> Iterator[tuple[Schema, str]]:
    """Split a schema into alternatives of one JSON type each (or untyped)."""
    node, ref = _resolve(root, node)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        rest = {k: v for k, v in node.items() if k != "allOf"}
        yield from _branches(root, {**all_of[0], **rest})
        return
    for key in _UNION_KEYS:
        if key in node:
            for option in node[key]:
                yield from _branches(root, option)
            return
    types = node.get("type")
    if isinstance(types, list):
        for one in types:
            yield {**node, "type": one}, ref
    else:
        yield node, ref


def _kind(branch: Schema) -> str:
    kind = branch.get("type")
    return kind if isinstance(kind, str) else _ANY


def _compare(ctx: _Ctx, path: str, old: Schema, new: Schema) -> None:
    new_branches = list(_branches(ctx.new_root, new))
    for old_branch, old_ref in _branches(ctx.old_root, old):
        old_kind = _kind(old_branch)
        accepts = [(b, r) for b, r in new_branches if _kind(b) in _widenings(old_kind)]
        if not accepts:
            if old_kind == "null":
                ctx.report(path, "no longer accepts null (became non-nullable)")
            elif old_kind == _ANY:
                ctx.report(path, "type restricted; any value was accepted before")
            else:
                ctx.report(path, f"type {old_kind!r} is no longer accepted")
            continue
        _compare_best(ctx, path, old_branch, old_ref, accepts)


def _widenings(kind: str) -> set[str]:
    """New-schema kinds that accept every value of an old-schema kind."""
    if kind == "integer":
        return {"integer", "number", _ANY}
    return {kind, _ANY}


def _compare_best(
    ctx: _Ctx, path: str, old: Schema, old_ref: str, candidates: list[tuple[Schema, str]]
) -> None:
    """Compare with the candidate branch that breaks least; report its problems."""
    best: list[str] | None = None
    for new, new_ref in candidates:
        key = (old_ref, new_ref)
        if old_ref and new_ref and key in ctx.seen:
            return  # already comparing this pair of definitions further up
        sub = _Ctx(ctx.old_root, ctx.new_root, ctx.seen | ({key} if old_ref and new_ref else set()))
        _compare_branch(sub, path, old, new)
        if best is None or len(sub.problems) < len(best):
            best = sub.problems
        if not best:
            break
    ctx.problems.extend(best or [])


def _compare_branch(ctx: _Ctx, path: str, old: Schema, new: Schema) -> None:
    if _kind(new) == _ANY and not _has_constraints(new):
        return
    _compare_values(ctx, path, old, new)
    _compare_bounds(ctx, path, old, new)
    for key in ("pattern", "format"):
        if key in new and new.get(key) != old.get(key):
            ctx.report(path, f"{key} added or changed to {new[key]!r}")
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        ctx.report(path, "items must now be unique")
    if "items" in old or "items" in new:
        _compare(ctx, f"{path}[]", old.get("items", {}), new.get("items", {}))
    if _kind(old) == "object" or "properties" in old or "properties" in new:
        _compare_object(ctx, path, old, new)


def _has_constraints(node: Schema) -> bool:
    informational = {"title", "description", "default", "examples", "$comment", "type"}
    return any(key not in informational for key in node)


def _allowed_values(node: Schema) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    values = node.get("enum")
    return list(values) if isinstance(values, list) else None


def _compare_values(ctx: _Ctx, path: str, old: Schema, new: Schema) -> None:
    new_values = _allowed_values(new)
    if new_values is None:
        return
    old_values = _allowed_values(old)
    if old_values is None:
        ctx.report(path, f"restricted to the values {new_values!r}")
        return
    removed = [value for value in old_values if value not in new_values]
    if removed:
        ctx.report(path, f"enum value(s) removed: {removed!r}")


def _lower(node: Schema) -> tuple[float, bool]:
    """Effective lower bound as (value, exclusive)."""
    bounds = [(-math.inf, False)]
    if "minimum" in node:
        bounds.append((node["minimum"], False))
    if "exclusiveMinimum" in node:
        bounds.append((node["exclusiveMinimum"], True))
    return max(bounds)


def _upper(node: Schema) -> tuple[float, bool]:
    """Effective upper bound as (value, exclusive); the smaller value is tighter."""
    bounds = [(math.inf, False)]
    if "maximum" in node:
        bounds.append((node["maximum"], False))
    if "exclusiveMaximum" in node:
        bounds.append((node["exclusiveMaximum"], True))
    return min(bounds, key=lambda bound: (bound[0], not bound[1]))


def _compare_bounds(ctx: _Ctx, path: str, old: Schema, new: Schema) -> None:
    if _lower(new) > _lower(old):
        ctx.report(path, f"lower bound tightened to {_describe(_lower(new), '>')}")
    old_up, new_up = _upper(old), _upper(new)
    if (new_up[0], not new_up[1]) < (old_up[0], not old_up[1]):
        ctx.report(path, f"upper bound tightened to {_describe(new_up, '<')}")
    for key in ("minLength", "minItems", "minProperties"):
        if new.get(key, 0) > old.get(key, 0):
            ctx.report(path, f"{key} tightened to {new[key]}")
    for key in ("maxLength", "maxItems", "maxProperties"):
        if new.get(key, math.inf) < old.get(key, math.inf):
            ctx.report(path, f"{key} tightened to {new[key]}")


def _describe(bound: tuple[float, bool], sign: str) -> str:
    return f"{sign if bound[1] else sign + '='} {bound[0]}"


def _compare_object(ctx: _Ctx, path: str, old: Schema, new: Schema) -> None:
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    old_required = set(old.get("required", []))
    for name, old_prop in old_props.items():
        if name not in new_props:
            ctx.report(f"{path}.{name}", "property removed")
        else:
            _compare(ctx, f"{path}.{name}", old_prop, new_props[name])
    for name in new.get("required", []):
        if name in old_required:
            continue
        state = (
            "optional property became required" if name in old_props else "new required property"
        )
        ctx.report(f"{path}.{name}", state)
    old_extra = old.get("additionalProperties", True)
    new_extra = new.get("additionalProperties", True)
    if new_extra is False and old_extra is not False:
        ctx.report(path, "additional properties are no longer allowed")
    elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
        _compare(ctx, f"{path}{{}}", old_extra, new_extra)
    elif old_extra is True and isinstance(new_extra, dict):
        _compare(ctx, f"{path}{{}}", {}, new_extra)
    if "propertyNames" in old or "propertyNames" in new:
        _compare(ctx, f"{path}{{key}}", old.get("propertyNames", {}), new.get("propertyNames", {}))
