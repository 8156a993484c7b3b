"""The mastered message: right language, names the competency, nothing personal."""

from __future__ import annotations

import pytest

from notify_svc.domain.templates import competency_mastered, language_of

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
