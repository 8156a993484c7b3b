"""Published JSON Schemas: generated from the models, checked in, and guarded.

The checked-in files are the contract other teams and tools read. ``check``
fails when they are stale or when the models changed in a way that would reject
events already in the log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pathwise_contracts.compat import breaking_changes
from pathwise_contracts.envelope import Envelope
from pathwise_contracts.events import EVENT_TYPES

SCHEMAS_DIR = Path(__file__).parents[2] / "schemas"
ENVELOPE_FILE = "envelope.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REGENERATE = "run `pathwise contracts generate`"

__all__ = ["SCHEMAS_DIR", "breaking_changes", "check", "render_all", "write_all"]


def _render(schema: dict[str, Any], schema_id: str) -> str:
    document = {"$schema": JSON_SCHEMA_DIALECT, "$id": schema_id, **schema}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_all() -> dict[str, str]:
    """Every schema file as it should be checked in: file name -> text."""
    files = {
        f"{event_type}.json": _render(model.model_json_schema(), model.dataschema())
        for event_type, model in sorted(EVENT_TYPES.items())
    }
    files[ENVELOPE_FILE] = _render(
        Envelope.model_json_schema(), "urn:pathwise:schema:cloudevents.envelope"
    )
    return files


def write_all(directory: Path = SCHEMAS_DIR) -> list[str]:
    """Write every schema file; returns the names of files that changed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in render_all().items():
        target = directory / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(name)
    return changed


def incompatibilities(directory: Path = SCHEMAS_DIR) -> list[str]:
    """Breaking changes of the current models against the checked-in schemas."""
    rendered = render_all()
    problems = []
    for path in sorted(directory.glob("*.json")):
        if path.name not in rendered:
            problems.append(
                f"{path.name}: no model declares this event type any more; events of it "
                "in the log could not be replayed (keep the class, add a new version)"
            )
            continue
        old = json.loads(path.read_text(encoding="utf-8"))
        new = json.loads(rendered[path.name])
        problems.extend(
            f"{path.name}: breaking change at {change}" for change in breaking_changes(old, new)
        )
    return problems


def check(directory: Path = SCHEMAS_DIR) -> list[str]:
    """Human-readable problems with the checked-in schemas; empty when all is well."""
    problems = []
    for name, text in render_all().items():
        target = directory / name
        if not target.exists():
            problems.append(f"{name}: missing, {REGENERATE}")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"{name}: stale, {REGENERATE}")
    return problems + incompatibilities(directory)
