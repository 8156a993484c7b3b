"""The teacher's path shows each step's accommodations, session and context."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

import portal
from pathwise_contracts import Modality, PathStep, StepAnnotation
from portal.i18n import translator

pytestmark = pytest.mark.unit


def test_the_teacher_sees_annotations_session_and_context() -> None:
    templates = Path(portal.__file__).parent / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True)
    env.globals["t"] = translator("en")
    step = PathStep(
        competency_id="3.NF.A.1",
        modality=Modality.SMALL_GROUP_INSTRUCTION,
        reason="ready: no prerequisites",
        annotations=[
            StepAnnotation(
                code="extended_time:1.5", text="extended time 1.5\N{MULTIPLICATION SIGN}"
            ),
            StepAnnotation(code="read_aloud", text="read aloud"),
        ],
        minutes=30,
        context="cooking",
    )
    html = env.get_template("_path_teacher.html").render(
        student={"student_id": "s-1"},
        path=SimpleNamespace(version=2),
        steps=[step],
        framework=SimpleNamespace(describe={}, lang_of={}),
    )
    assert (
        'Accommodations: <span lang="en" dir="auto">extended time 1.5\N{MULTIPLICATION SIGN}, '
        "read aloud</span>" in html
    )
    assert "Session: 30 min" in html
    assert 'Context: <span lang="en" dir="auto">cooking</span>' in html
    plain = env.get_template("_path_teacher.html").render(
        student={"student_id": "s-1"},
        path=SimpleNamespace(version=1),
        steps=[step.model_copy(update={"annotations": [], "minutes": None, "context": None})],
        framework=SimpleNamespace(describe={}, lang_of={}),
    )
    assert "Accommodations" not in plain and "Context" not in plain
