"""`.pathwise/stack.json`: how other commands find the stack `pathwise up` is running."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def stack_file_path(workdir: Path) -> Path:
    """Location of the descriptor inside a workdir."""
    return workdir / ".pathwise" / "stack.json"


def write_stack_file(workdir: Path, description: dict[str, Any]) -> Path:
    """Write atomically so readers never see half a file."""
    path = stack_file_path(workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def read_stack_file(workdir: Path) -> dict[str, Any]:
    """The running stack's descriptor; a clear error when nothing runs there."""
    path = stack_file_path(workdir)
    if not path.is_file():
        raise LookupError(f"no running stack: {path} not found (start one with `pathwise up`)")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def remove_stack_file(workdir: Path) -> None:
    """Forget the stack once it stopped."""
    stack_file_path(workdir).unlink(missing_ok=True)
