"""SMS wording, segment counting and Twilio's signature: pure functions."""

from __future__ import annotations

import pytest

from notify_svc.api.sms_webhooks import STOP_WORDS, keyword
from notify_svc.domain.segments import count, fit
from notify_svc.domain.signature import twilio_signature, valid_twilio_signature
from notify_svc.domain.sms_text import TEXTS, render_sms
from notify_svc.domain.templates import Item

pytestmark = pytest.mark.unit
LINK = "https://families.example.org"


def test_segments_follow_the_gsm7_and_ucs2_limits() -> None:
    assert count("a" * 160).count == 1 and count("a" * 161).count == 2
    assert count("a" * 306).count == 2 and count("a" * 307).count == 3
    assert count("€" * 80).units == 160 and count("€" * 80).encoding == "GSM-7"
    assert count("é" * 10).encoding == "GSM-7"  # in the GSM-7 alphabet
    assert count("ệ" * 70).encoding == "UCS-2" and count("ệ" * 70).count == 1
    assert count("ệ" * 71).count == 2 and count("😀" * 35).units == 70


def test_a_long_text_is_shortened_politely_and_keeps_its_link() -> None:
    text = fit("word " * 100, LINK, 1)
    assert text.endswith("... " + LINK) and count(text).count == 1
    chinese = fit("好" * 200, LINK, 2)
    assert chinese.endswith("… " + LINK) and count(chinese).count <= 2


@pytest.mark.parametrize("language", ["en", "es", "zh-Hans", "vi", "ar"])
def test_every_text_fits_and_names_at_most_the_competency(language: str) -> None:
    for kind in TEXTS:
        item = Item(kind, code="Q.1")
        rendered = render_sms([item] if kind != "digest" else [item, item], language, LINK, 2)
        assert rendered.segments <= 2 and rendered.text.endswith(LINK)
        assert "STOP" in rendered.text and "{" not in rendered.text
        assert rendered.language == language and rendered.fallback_from is None
        rest = rendered.text.replace(LINK, "").replace("Q.1", "").replace("2", "")
        assert not any(c.isdigit() for c in rest)


def test_a_missing_language_falls_back_to_english_and_says_so() -> None:
    rendered = render_sms([Item("competency_mastered", code="Q.1")], "fr-CA", LINK, 1)
    assert rendered.template == "sms.competency_mastered.en" and rendered.fallback_from == "fr-CA"


def test_twilio_signature_matches_the_documented_example() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    assert twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert not valid_twilio_signature("12345", url, params[:-1], "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not valid_twilio_signature("12345", url, params, None)


def test_keywords_ignore_case_spacing_and_punctuation() -> None:
    assert keyword("  stop. ") == "STOP" and keyword("Opt  out") in STOP_WORDS
    assert keyword("stop sending me grades") not in STOP_WORDS
