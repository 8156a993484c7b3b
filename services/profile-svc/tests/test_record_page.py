"""The readable record: the family's language, right-to-left, escaped, every part shown."""

from __future__ import annotations

import re
from typing import Any

import pytest

from profile_svc.domain.record_labels import LABELS, page_language
from profile_svc.domain.record_page import render

pytestmark = pytest.mark.unit


def _doc() -> dict[str, Any]:
    return {
        "schema": "pathwise.record-export.v1",
        "student_id": "ada",
        "exported_at": "2026-10-05T10:00:00Z",
        "exported_by": {"kind": "guardian", "id": "g-1", "district": "d1"},
        "profile": {
            "display_name": "Ada <script>alert(1)</script>",
            "school_id": "sch-1",
            "grade": "3",
            "strengths": ["fractions"],
            "needs": [],
            "interests": ["space"],
            "accommodation_requirements": ["extended_time"],
            "accommodation_plans": [{"kind": "iep"}],
            "goals": [{"goal_id": "g1", "title": "Read a chapter book"}],
            "reflections": [{"recorded_at": "2026-10-01", "text": "I liked it"}],
            "guardians": [{"guardian_id": "g-1", "relationship": "mother", "language": "es"}],
        },
        "consent_history": [
            {"given_at": "2026-09-01", "guardian_id": "g-1", "channel": "email", "granted": True}
        ],
        "assessments": {
            "results": [
                {
                    "occurred_at": "2026-10-05",
                    "competency_id": "3.NF.A.1",
                    "score": 3,
                    "max_score": 10,
                    "source": "quiz",
                    "voided": False,
                }
            ],
            "statements": [
                {
                    "timestamp": "2026-10-05",
                    "object": {"id": "urn:act:1"},
                    "verb": {"display": {"en-US": "scored"}},
                }
            ],
        },
        "learning": {
            "path": {"steps": [{"competency_id": "3.NF.A.2", "modality": "x", "reason": "next"}]},
            "history": [
                {
                    "version": 1,
                    "replanned_at": "2026-10-05",
                    "added": ["3.NF.A.2"],
                    "removed": [],
                    "reason": "new evidence on 3.NF.A.1",
                }
            ],
            "mastery": [{"competency_id": "3.NF.A.1", "p_mastery": 0.31, "attempts": 1}],
        },
        "messages": [
            {
                "at": "2026-10-05",
                "channel": "email",
                "summary": "competency_mastered",
                "status": "sent",
            }
        ],
        "access_log": [
            {
                "at": "2026-10-05",
                "role": "teacher",
                "actor": "t-1",
                "service": "path-svc",
                "section": "path",
                "purpose": "record-read",
            }
        ],
    }


def test_the_page_is_in_the_familys_language_with_every_part() -> None:
    page = render(_doc(), "es")
    assert page.startswith('<!DOCTYPE html><html lang="es" dir="ltr">')
    for key in ("results", "statements", "mastery", "path", "history", "messages", "access"):
        assert LABELS["es"][key] in page
    for value in (
        "3.NF.A.1",
        "3 / 10",
        "urn:act:1",
        "new evidence on 3.NF.A.1",
        "t-1",
        "competency_mastered",
        "extended_time",
        "Read a chapter book",
        "0.31",
    ):
        assert value in page, value


def test_the_page_escapes_what_it_shows_and_loads_nothing() -> None:
    page = render(_doc(), "en")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert not re.search(r"<script|<link|<img|src=|href=", page)
    assert "@media print" in page


def test_arabic_reads_right_to_left() -> None:
    assert '<html lang="ar" dir="rtl">' in render(_doc(), "ar")


def test_an_empty_part_says_so() -> None:
    doc = _doc()
    doc["messages"] = []
    assert LABELS["vi"]["none"] in render(doc, "vi")


@pytest.mark.parametrize(
    ("asked", "page"),
    [
        (None, "en"),
        ("es", "es"),
        ("es-MX", "es"),
        ("zh", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("ar", "ar"),
        ("so", "en"),
    ],
)
def test_a_language_pathwise_lacks_gets_the_english_page_and_says_so(
    asked: str | None, page: str
) -> None:
    assert page_language(asked) == page


def test_every_language_has_every_label() -> None:
    assert all(set(labels) == set(LABELS["en"]) for labels in LABELS.values())
