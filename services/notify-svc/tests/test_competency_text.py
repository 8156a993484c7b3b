"""Messages name a competency by its title in the guardian's language, code in parentheses.

Pure rendering over a framework in the shape path-svc's ``GET /v1/framework``
answers: titles per language, the English shown and marked where a language
has none, the bare code when there are no titles at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from notify_svc.domain.competency_names import CompetencyNames, shorten
from notify_svc.domain.segments import count
from notify_svc.domain.sms_text import render_sms
from notify_svc.domain.teacher_alert import render_teacher_alert
from notify_svc.domain.templates import Item, render, render_digest

pytestmark = pytest.mark.unit
LINK = "https://families.example.org"
TITLES = {
    "en": "Multiply and divide within 100",
    "es": "Multiplicar y dividir hasta 100",
    "vi": "Nhân và chia trong phạm vi 100",
    "zh-Hans": "100 以内的乘除法",
    "ar": "الضرب والقسمة ضمن 100",
}
IN_ENGLISH = {
    "es": "en inglés",
    "vi": "bằng tiếng Anh",
    "zh-Hans": "英文",
    "ar": "بالإنجليزية",
}
FRAMEWORK: dict[str, Any] = {
    "name": "grade3-math",
    "title": "Grade 3 mathematics",
    "titles": {},
    "mastery_threshold": 0.95,
    "competencies": [
        {
            "code": "3.OA.C.7",
            "description": TITLES["en"] + ".",
            "descriptions": {lang: f"{t}." for lang, t in TITLES.items() if lang != "en"},
            "prerequisites": [],
        },
        {
            "code": "3.OA.A.1",
            "description": "Interpret products of whole numbers.",
            "descriptions": {},
            "prerequisites": [],
        },
    ],
}
NAMES = CompetencyNames.from_framework(FRAMEWORK)
MASTERED = Item("competency_mastered", code="3.OA.C.7")


@pytest.mark.parametrize("language", list(TITLES))
def test_the_mastered_mail_names_the_title_in_the_guardians_language(language: str) -> None:
    mail = render(MASTERED, language, names=NAMES)
    named = f"{TITLES[language]} (3.OA.C.7)"
    assert mail.fallback_from is None and mail.language == language
    assert named in mail.subject and named in mail.text
    assert f"<strong>{TITLES[language]}</strong> (3.OA.C.7)" in mail.html


def test_spanish_reads_as_a_spanish_family_expects() -> None:
    mail = render(MASTERED, "es-MX", names=NAMES)
    assert "Su estudiante ha dominado: Multiplicar y dividir hasta 100 (3.OA.C.7)." in mail.text
    assert mail.subject == "Competencia dominada: Multiplicar y dividir hasta 100 (3.OA.C.7)"


@pytest.mark.parametrize("language", list(IN_ENGLISH))
def test_a_missing_title_translation_shows_the_english_marked_and_counted(language: str) -> None:
    mail = render(Item("competency_mastered", code="3.OA.A.1"), language, names=NAMES)
    marked = f"Interpret products of whole numbers (3.OA.A.1, {IN_ENGLISH[language]})"
    assert marked in mail.text and mail.fallback_from == language
    assert mail.template == f"competency_mastered.{language}"  # the words are still theirs
    assert '<strong lang="en" dir="auto">Interpret products of whole numbers</strong>' in mail.html


def test_english_titles_for_english_readers_are_no_fallback() -> None:
    mail = render(Item("competency_mastered", code="3.OA.A.1"), "en-GB", names=NAMES)
    assert mail.fallback_from is None and "(3.OA.A.1)" in mail.text
    assert "in English" not in mail.text


def test_without_titles_or_for_an_unknown_code_the_code_stands_alone() -> None:
    assert "ha dominado: 3.OA.C.7." in render(MASTERED, "es").text
    unknown = render(Item("competency_mastered", code="9.ZZ.1"), "es", names=NAMES)
    assert "ha dominado: 9.ZZ.1." in unknown.text and unknown.fallback_from is None


def test_support_and_path_changes_name_every_competency() -> None:
    support = render(Item("support_needed", code="3.OA.C.7"), "vi", names=NAMES)
    assert f"{TITLES['vi']} (3.OA.C.7)" in support.text
    path = render(Item("path_changed", codes=("3.OA.C.7", "3.OA.A.1")), "es", names=NAMES)
    assert (
        "Multiplicar y dividir hasta 100 (3.OA.C.7); "
        "Interpret products of whole numbers (3.OA.A.1, en inglés)"
    ) in path.text
    assert path.fallback_from == "es"


def test_a_coalesced_mail_titles_each_fact_and_reports_one_fallback() -> None:
    items = [MASTERED, Item("competency_mastered", code="3.OA.A.1")]
    mail = render_digest(items, "zh-Hans", kind="coalesced", names=NAMES)
    assert f"{TITLES['zh-Hans']} (3.OA.C.7)" in mail.text
    assert "Interpret products of whole numbers (3.OA.A.1, 英文)" in mail.text
    assert mail.fallback_from == "zh-Hans" and mail.template == "coalesced.zh-Hans"


def test_arabic_html_keeps_an_english_title_left_to_right() -> None:
    mail = render(Item("competency_mastered", code="3.OA.A.1"), "ar", names=NAMES)
    assert '<html lang="ar" dir="rtl">' in mail.html
    assert '<strong lang="en" dir="auto">' in mail.html


def test_titles_are_escaped_in_html() -> None:
    names = CompetencyNames({"X.1": {"en": "<b>&co"}})
    mail = render(Item("competency_mastered", code="X.1"), "en", names=names)
    assert "<b>&co" not in mail.html and "&lt;b&gt;&amp;co" in mail.html


def test_a_long_title_is_shortened_in_the_subject_only() -> None:
    long = "Fluently multiply and divide within 100 using strategies such as the relationship"
    names = CompetencyNames({"3.OA.C.7": {"en": long}})
    mail = render(MASTERED, "en", names=names)
    assert "…" in mail.subject and mail.subject.endswith("(3.OA.C.7)")
    assert f"{long} (3.OA.C.7)" in mail.text


def test_the_teacher_alert_names_the_english_title() -> None:
    alert = render_teacher_alert(Item("support_needed", code="3.OA.C.7"), "s-1", LINK, NAMES)
    assert "needs support with Multiply and divide within 100 (3.OA.C.7)." in alert.text
    assert "<strong>Multiply and divide within 100</strong> (3.OA.C.7)" in alert.html
    assert "with 3.OA.C.7." in render_teacher_alert(MASTERED, "s-1", LINK).text


@pytest.mark.parametrize("language", list(TITLES))
def test_a_text_names_the_title_and_stays_within_its_segments(language: str) -> None:
    text = render_sms([MASTERED], language, LINK, 2, NAMES)
    first_word = TITLES[language].split(" ")[0]
    assert f"{first_word} " in text.text and "(3.OA.C.7)" in text.text
    assert text.text.endswith(LINK) and "STOP" in text.text
    assert text.segments <= 2 and text.fallback_from is None


def test_an_english_text_stays_one_gsm7_segment_with_a_shortened_title() -> None:
    long = "Fluently multiply and divide within 100, using strategies such as the relationship"
    names = CompetencyNames({"3.OA.C.7": {"en": long}})
    text = render_sms([MASTERED], "en", LINK, 2, names)
    assert (text.encoding, text.segments) == ("GSM-7", 1)
    assert "Fluently multiply and divide" in text.text and "... (3.OA.C.7)." in text.text
    assert "Reply STOP to opt out." in text.text and count(text.text).units <= 160


def test_a_text_that_cannot_hold_a_title_names_the_code_and_keeps_stop() -> None:
    names = CompetencyNames({"3.OA.C.7": {"es": " ".join(["y" * 60] * 5)}})
    text = render_sms([MASTERED], "es", LINK, 2, names)
    assert "dominó 3.OA.C.7" in text.text and "(3.OA.C.7)" not in text.text
    assert "STOP" in text.text and text.text.endswith(LINK)


def test_a_text_marks_an_english_title_and_counts_it() -> None:
    text = render_sms([Item("competency_mastered", code="3.OA.A.1")], "es", LINK, 2, NAMES)
    assert text.fallback_from == "es" and "en inglés" in text.text


def test_a_digest_text_counts_updates_without_titles() -> None:
    text = render_sms([MASTERED, MASTERED], "es", LINK, 2, NAMES)
    assert text.template == "sms.digest.es" and "2 novedades" in text.text


def test_the_framework_shape_is_checked_and_statements_become_titles() -> None:
    assert NAMES.name("3.OA.C.7", "es").title == "Multiplicar y dividir hasta 100"
    with pytest.raises(ValueError, match="competencies"):
        CompetencyNames.from_framework({"name": "x"})
    with pytest.raises(ValueError, match="code"):
        CompetencyNames.from_framework({"competencies": [{"description": "no code"}]})


def test_shorten_cuts_at_a_word_and_never_the_middle_of_one() -> None:
    assert shorten("one two three", 20) == "one two three"
    assert shorten("one two three", 9) == "one two…"
    assert shorten("好好好好好", 3) == "好好…"
    assert shorten("abcdef", 1) == ""
