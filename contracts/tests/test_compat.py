from __future__ import annotations

from typing import Any

import pytest

from pathwise_contracts.compat import breaking_changes

pytestmark = pytest.mark.unit


def obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": required if required is not None else list(props),
        "additionalProperties": False,
        **extra,
    }


STR = {"type": "string"}
NULLABLE_STR = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
BASE = obj({"a": STR, "b": NULLABLE_STR}, ["a"])


def test_identical_schemas_are_compatible() -> None:
    assert breaking_changes(BASE, BASE) == []


def test_removed_property() -> None:
    assert breaking_changes(BASE, obj({"a": STR}, ["a"])) == ["$.b: property removed"]


def test_new_required_property() -> None:
    new = obj({"a": STR, "b": NULLABLE_STR, "c": STR}, ["a", "c"])
    assert breaking_changes(BASE, new) == ["$.c: new required property"]


def test_optional_property_became_required() -> None:
    new = obj({"a": STR, "b": NULLABLE_STR}, ["a", "b"])
    assert breaking_changes(BASE, new) == ["$.b: optional property became required"]


def test_added_optional_property_is_compatible() -> None:
    new = obj({"a": STR, "b": NULLABLE_STR, "c": NULLABLE_STR}, ["a"])
    assert breaking_changes(BASE, new) == []


def test_became_non_nullable() -> None:
    new = obj({"a": STR, "b": STR}, ["a"])
    assert breaking_changes(BASE, new) == ["$.b: no longer accepts null (became non-nullable)"]


def test_narrowed_type_list() -> None:
    old = obj({"v": {"type": ["string", "integer"]}})
    new = obj({"v": {"type": "string"}})
    assert breaking_changes(old, new) == ["$.v: type 'integer' is no longer accepted"]


def test_changed_type() -> None:
    old = obj({"v": {"type": "number"}})
    new = obj({"v": {"type": "integer"}})
    assert breaking_changes(old, new) == ["$.v: type 'number' is no longer accepted"]


def test_widened_type_is_compatible() -> None:
    assert breaking_changes(obj({"v": {"type": "integer"}}), obj({"v": {"type": "number"}})) == []
    assert breaking_changes(BASE, obj({"a": NULLABLE_STR, "b": NULLABLE_STR}, ["a"])) == []
    widened = obj({"a": {"type": ["string", "integer"]}, "b": NULLABLE_STR}, ["a"])
    assert breaking_changes(BASE, widened) == []


def test_enum_narrowing() -> None:
    old = obj({"c": {"type": "string", "enum": ["email", "sms"]}})
    new = obj({"c": {"type": "string", "enum": ["email"]}})
    assert breaking_changes(old, new) == ["$.c: enum value(s) removed: ['sms']"]
    assert breaking_changes(new, old) == []


def test_enum_added_to_free_string() -> None:
    new = obj({"a": {"type": "string", "const": "x"}, "b": NULLABLE_STR}, ["a"])
    assert breaking_changes(BASE, new) == ["$.a: restricted to the values ['x']"]


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ({"type": "number"}, {"type": "number", "minimum": 0}, "lower bound"),
        ({"type": "number", "minimum": 0}, {"type": "number", "exclusiveMinimum": 0}, "lower"),
        ({"type": "number", "maximum": 10}, {"type": "number", "maximum": 5}, "upper bound"),
        ({"type": "string"}, {"type": "string", "maxLength": 5}, "maxLength"),
        ({"type": "string", "minLength": 1}, {"type": "string", "minLength": 2}, "minLength"),
        ({"type": "string"}, {"type": "string", "pattern": "^a$"}, "pattern"),
    ],
)
def test_tightened_constraints(old: dict[str, Any], new: dict[str, Any], needle: str) -> None:
    problems = breaking_changes(obj({"v": old}), obj({"v": new}))
    assert len(problems) == 1
    assert needle in problems[0]
    assert breaking_changes(obj({"v": new}), obj({"v": old})) == []


def test_changed_pattern_is_breaking_both_ways() -> None:
    a, b = (
        obj({"v": {"type": "string", "pattern": "^a$"}}),
        obj({"v": {"type": "string", "pattern": "^b$"}}),
    )
    assert breaking_changes(a, b) == ["$.v: pattern added or changed to '^b$'"]
    assert breaking_changes(b, a) == ["$.v: pattern added or changed to '^a$'"]


def test_follows_refs_into_defs() -> None:
    def schema(inner_required: list[str]) -> dict[str, Any]:
        inner = obj({"x": STR, "y": NULLABLE_STR}, inner_required)
        items = {"type": "array", "items": {"$ref": "#/$defs/Step"}}
        return {**obj({"steps": items}), "$defs": {"Step": inner}}

    assert breaking_changes(schema(["x"]), schema(["x"])) == []
    assert breaking_changes(schema(["x"]), schema(["x", "y"])) == [
        "$.steps[].y: optional property became required"
    ]


def test_nullable_ref() -> None:
    enc = obj({"kid": STR})
    old = {**obj({"e": {"anyOf": [{"$ref": "#/$defs/E"}, {"type": "null"}]}}), "$defs": {"E": enc}}
    new = {**obj({"e": {"$ref": "#/$defs/E"}}), "$defs": {"E": enc}}
    assert breaking_changes(old, new) == ["$.e: no longer accepts null (became non-nullable)"]


def test_map_value_and_key_narrowing() -> None:
    def consent(keys: list[str], value: str) -> dict[str, Any]:
        mapping = {
            "type": "object",
            "propertyNames": {"enum": keys},
            "additionalProperties": {"type": value},
        }
        return obj({"consent": mapping})

    assert breaking_changes(
        consent(["email", "sms"], "boolean"), consent(["email"], "boolean")
    ) == ["$.consent{key}: enum value(s) removed: ['sms']"]
    assert breaking_changes(consent(["email"], "boolean"), consent(["email"], "string")) == [
        "$.consent{}: type 'boolean' is no longer accepted"
    ]


def test_recursive_definitions_terminate() -> None:
    node = obj({"child": {"anyOf": [{"$ref": "#/$defs/N"}, {"type": "null"}]}})
    schema = {"$ref": "#/$defs/N", "$defs": {"N": node}}
    assert breaking_changes(schema, schema) == []


def test_extra_properties_forbidden() -> None:
    old = obj({"a": STR}, additionalProperties=True)
    assert breaking_changes(old, obj({"a": STR})) == [
        "$: additional properties are no longer allowed"
    ]
