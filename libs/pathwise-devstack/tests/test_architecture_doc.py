"""docs/architecture.md draws the layers `make lint` enforces; these tests keep the two equal."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "architecture.md"
SERVICES = ("assessment_svc", "profile_svc", "path_svc", "notify_svc")


def _contract(name: str) -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    return config[f"importlinter:contract:{name}"]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.strip().splitlines() if line.strip()]


def test_the_rooms_drawn_are_the_rooms_checked() -> None:
    block = re.search(r"<!-- service-layers:[^>]*-->\n```\n(.*?)```", DOC.read_text(), re.S)
    assert block, "docs/architecture.md lost its service-layers block"
    assert _lines(block.group(1)) == _lines(_contract("service-shape")["layers"])


def test_every_service_is_held_to_the_shape() -> None:
    assert _lines(_contract("service-shape")["containers"]) == list(SERVICES)
    assert _lines(_contract("pure-domain")["source_modules"]) == [f"{s}.domain" for s in SERVICES]


def test_every_folder_the_doc_names_exists() -> None:
    text = DOC.read_text()
    for folder in set(re.findall(r"\b((?:libs|services)/[a-z-]+/|contracts/)", text)):
        assert (ROOT / folder).is_dir(), f"docs/architecture.md names {folder}, which is gone"
    for room in ("api", "projections", "domain"):
        for service in SERVICES:
            src = ROOT / "services" / service.replace("_", "-") / "src" / service / room
            assert src.is_dir(), f"{service} has no {room}/ room"
