"""The mastered message: right language, names the competency, nothing personal."""

from __future__ import annotations

import pytest

from notify_svc.domain.templates import (
    SUPPORTED,
    Item,
    competency_mastered,
    language_of,
    render,
    render_digest,
)

pytestmark = pytest.mark.unit


def test_english_names_the_competency_in_subject_text_and_html() -> None:
    mail = competency_mastered("3.OA.A.1", "en")
    assert mail.template == "competency_mastered.en"
    assert "3.OA.A.1" in mail.subject
    assert "3.OA.A.1" in mail.text
    assert "<strong>3.OA.A.1</strong>" in mail.html


@pytest.mark.parametrize("tag", ["es", "es-MX", "ES-419"])
def test_spanish_for_any_spanish_tag(tag: str) -> None:
    mail = competency_mastered("RL.5.2", tag)
    assert mail.language == "es"
    assert mail.subject == "Competencia dominada: RL.5.2"
    assert "ha dominado" in mail.text
    assert 'lang="es"' in mail.html


@pytest.mark.parametrize("tag", ["fr", "zh-Hant", "en-GB"])
def test_other_languages_fall_back_to_english(tag: str) -> None:
    assert language_of(tag) == "en"
    assert competency_mastered("X.1", tag).template == "competency_mastered.en"


def test_html_escapes_the_competency_code() -> None:
    mail = competency_mastered("<b>&x", "en")
    assert "<b>&x" not in mail.html
    assert "&lt;b&gt;&amp;x" in mail.html


@pytest.mark.parametrize(
    ("tag", "language", "words"),
    [
        ("zh-CN", "zh-Hans", "已掌握能力"),
        ("zh-Hans", "zh-Hans", "已掌握能力"),
        ("vi-VN", "vi", "thành thạo"),
        ("ar", "ar", "الكفاءة"),
    ],
)
def test_every_supported_language_has_its_own_words(tag: str, language: str, words: str) -> None:
    mail = competency_mastered("3.OA.A.1", tag)
    assert (mail.language, mail.fallback_from) == (language, None)
    assert words in mail.subject and "3.OA.A.1" in mail.text


def test_arabic_html_is_right_to_left_and_others_are_not() -> None:
    assert '<html lang="ar" dir="rtl">' in competency_mastered("X.1", "ar").html
    assert 'dir="rtl"' not in competency_mastered("X.1", "es").html


def test_a_missing_translation_falls_back_to_english_and_says_so() -> None:
    mail = competency_mastered("X.1", "so")  # Somali: no translation yet
    assert (mail.language, mail.fallback_from) == ("en", "so")
    assert competency_mastered("X.1", "en-GB").fallback_from is None


def test_a_digest_lists_each_fact_and_the_unsubscribe_link() -> None:
    items = [
        Item("competency_mastered", code="A.1"),
        Item("path_changed", codes=("B.2", "C.3")),
    ]
    mail = render_digest(items, "es", unsubscribe="https://n.example/u/t")
    assert mail.template == "digest.es" and mail.kinds == ("competency_mastered", "path_changed")
    assert "A.1" in mail.text and "B.2, C.3" in mail.text
    assert "https://n.example/u/t" in mail.html


def test_every_message_kind_renders_in_every_language() -> None:
    for kind in ("competency_mastered", "path_changed", "support_needed", "weekly_summary"):
        for tag in SUPPORTED:
            mail = render(Item(kind, code="Q.1", codes=("Q.1",), count=2, week="2026-W48"), tag)
            assert mail.fallback_from is None and "{" not in mail.text
