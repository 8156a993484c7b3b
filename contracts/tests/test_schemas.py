from __future__ import annotations

import json
from pathlib import Path

import pytest

from pathwise_contracts import EVENT_TYPES
from pathwise_contracts.cli import main
from pathwise_contracts.schemas import SCHEMAS_DIR, check, render_all, write_all

pytestmark = pytest.mark.unit


def test_checked_in_schemas_are_current() -> None:
    assert check(SCHEMAS_DIR) == []


def test_one_schema_per_event_plus_envelope() -> None:
    files = render_all()
    assert set(files) == {f"{t}.json" for t in EVENT_TYPES} | {"envelope.json"}
    for text in files.values():
        assert text.endswith("}\n")
        assert json.loads(text)["$schema"].startswith("https://json-schema.org/")


def test_missing_and_stale_files_are_reported(tmp_path: Path) -> None:
    write_all(tmp_path)
    assert check(tmp_path) == []
    (tmp_path / "envelope.json").unlink()
    stale = tmp_path / "org.pathwise.path.SupportNeeded.v1.json"
    schema = json.loads(stale.read_text())
    schema["description"] = "old words"
    stale.write_text(json.dumps(schema))
    problems = check(tmp_path)
    assert sorted(problems) == [
        "envelope.json: missing, run `pathwise contracts generate`",
        "org.pathwise.path.SupportNeeded.v1.json: stale, run `pathwise contracts generate`",
    ]


def test_breaking_change_against_checked_in_schema(tmp_path: Path) -> None:
    write_all(tmp_path)
    target = tmp_path / "org.pathwise.notify.NotificationSuppressed.v1.json"
    schema = json.loads(target.read_text())
    schema["properties"]["reason"]["enum"].append("moon_phase")
    schema["properties"]["legacy"] = {"type": "string"}
    target.write_text(json.dumps(schema))
    breaking = [p for p in check(tmp_path) if "breaking" in p]
    assert len(breaking) == 2
    assert any("$.legacy: property removed" in p for p in breaking)
    assert any("moon_phase" in p for p in breaking)


def test_removed_event_type_is_reported(tmp_path: Path) -> None:
    write_all(tmp_path)
    (tmp_path / "org.pathwise.path.Gone.v1.json").write_text("{}\n")
    assert any("Gone.v1" in p for p in check(tmp_path))


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--schemas-dir", str(tmp_path)]) == 1
    assert main(["generate", "--schemas-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["check", "--schemas-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == (
        f"contracts: {len(render_all())} schemas up to date, no breaking changes\n"
    )


def test_generate_refuses_breaking_overwrite(tmp_path: Path) -> None:
    write_all(tmp_path)
    target = tmp_path / "org.pathwise.path.SupportNeeded.v1.json"
    schema = json.loads(target.read_text())
    schema["properties"]["legacy"] = {"type": "string"}
    target.write_text(json.dumps(schema))
    assert main(["generate", "--schemas-dir", str(tmp_path)]) == 1
    assert "legacy" in target.read_text()
    assert main(["generate", "--schemas-dir", str(tmp_path), "--allow-breaking"]) == 0
    assert "legacy" not in target.read_text()
