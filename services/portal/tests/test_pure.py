"""Pure parts of the portal: SVG layout, i18n, plain-language reasons, CSRF, PKCE, state."""

from __future__ import annotations

import json
import re
from datetime import date
from importlib import resources

import pytest

from pathwise_contracts import Modality, PathStep
from portal import chart, explain, graph, i18n, views
from portal.family import status_key
from portal.security import (
    csrf_token,
    csrf_valid,
    pkce_challenge,
    pkce_verifier,
    safe_next,
    same_state,
)

pytestmark = pytest.mark.unit

C = graph.Competency
FRAMEWORK = [
    C("a", "first", ()),
    C("b", "second", ()),
    C("c", "needs a", ("a",)),
    C("d", "needs b and c", ("b", "c")),
]


def test_layout_puts_each_competency_right_of_its_prerequisites() -> None:
    lay = graph.layout(FRAMEWORK)
    assert graph.depths(FRAMEWORK) == {"a": 0, "b": 0, "c": 1, "d": 2}
    for source, target in lay.edges:
        assert lay.nodes[source].x + graph.NODE_W < lay.nodes[target].x
    assert sorted(lay.edges) == [("a", "c"), ("b", "d"), ("c", "d")]
    assert lay.width >= max(n.x for n in lay.nodes.values()) + graph.NODE_W


def test_layout_refuses_a_cycle() -> None:
    with pytest.raises(ValueError, match="cycle"):
        graph.depths([C("x", "", ("y",)), C("y", "", ("x",))])


def test_map_svg_is_labelled_and_colours_are_not_the_only_cue() -> None:
    labels = {"not_started": "not started", "familiar": "familiar"}
    labels |= {"proficient": "proficient", "mastered": "mastered"}
    svg = graph.render(
        FRAMEWORK,
        {"a": "mastered", "c": "familiar"},
        labels=labels,  # type: ignore[arg-type]
        title="Map <of> Ana",
        description="four competencies",
        on_path=frozenset({"c"}),
    )
    assert svg.startswith('<svg id="mastery-map"') and 'role="img"' in svg
    assert '<title id="mastery-map-title">Map &lt;of&gt; Ana</title>' in svg
    assert '<desc id="mastery-map-desc">four competencies</desc>' in svg
    assert svg.count('<g class="node') == 4
    assert 'data-code="a" data-level="mastered"' in svg and ">mastered</text>" in svg
    assert "c ★" in svg  # on the path: starred as well as outlined


def test_progress_is_cumulative_per_day_and_charted_with_a_text_alternative() -> None:
    days = [date(2026, 9, 2), date(2026, 9, 1), date(2026, 9, 2)]
    points = chart.cumulative(days)
    assert points == [chart.Point(date(2026, 9, 1), 1), chart.Point(date(2026, 9, 2), 3)]
    svg = chart.render(points, title="Mastered", description="3 so far", axis="mastered")
    assert 'id="progress-chart"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count("<circle") == 2
    assert "<path" not in chart.render([], title="t", description="d", axis="a")


def test_every_catalog_has_the_english_keys_and_placeholders() -> None:
    english = i18n.catalog("en")
    for language in i18n.LANGUAGES:
        texts = i18n.catalog(language)
        assert set(texts) == set(english), language
        for key, text in texts.items():
            assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", english[key]))


def test_language_negotiation_fallback_and_direction() -> None:
    assert i18n.negotiate("es-MX") == "es"
    assert i18n.negotiate("zh-CN") == "zh-Hans"
    assert i18n.negotiate("ar") == "ar" and i18n.translator("ar").direction == "rtl"
    assert i18n.negotiate("fr") == "en" and i18n.negotiate(None) == "en"
    t = i18n.translator("vi")
    assert t("view_child", name="Lan") == "Xem Lan"
    assert t("view_child") == "Xem {name}"  # a missing value stays visible, never crashes
    with pytest.raises(KeyError):
        t("no.such.key")


def test_a_missing_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    partial = {"skip": "Saltar"}
    monkeypatch.setattr(i18n, "catalog", lambda lang: partial if lang == "es" else _en())
    t = i18n.Translator("es")
    assert t("skip") == "Saltar"
    assert t("save") == "Save preferences"


def _en() -> dict[str, str]:
    text = resources.files("portal").joinpath("locales", "en.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def _step(reason: str) -> PathStep:
    return PathStep(
        competency_id="3.OA.A.3",
        modality=Modality.SMALL_GROUP_PROJECT,
        reason=reason,
        options=[Modality.SMALL_GROUP_PROJECT],
    )


def test_reasons_become_plain_language_keys() -> None:
    assert explain.why(_step("ready: no prerequisites; Small-group project: new")) == [
        "why.first",
        "how.suits",
    ]
    assert explain.why(
        _step(
            "ready: prerequisites 3.OA.A.1, 3.OA.A.2 mastered; a goal; unlocks 2 goal "
            "competencies; matches interests: sport; Small-group project: chosen by the student"
        )
    ) == ["why.ready", "why.goal", "why.unlocks", "why.interest", "how.chosen"]
    assert explain.why(_step("placed by a teacher; Tutoring: set by a teacher")) == [
        "why.teacher",
        "how.teacher",
    ]
    assert explain.why(_step("something new; Tutoring: 5 attempts below 40%")) == ["how.stuck"]


def test_csrf_token_is_per_session_and_checked() -> None:
    session: dict[str, object] = {}
    token = csrf_token(session)
    assert csrf_token(session) == token and len(token) >= 32
    assert csrf_valid(session, token)
    assert not csrf_valid(session, token + "x")
    assert not csrf_valid(session, None)
    assert not csrf_valid({}, token)
    assert csrf_token({}) != token


def test_pkce_s256_matches_rfc_7636_and_state_must_match() -> None:
    # RFC 7636 appendix B
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    fresh = pkce_verifier()
    assert 43 <= len(fresh) <= 128 and re.fullmatch(r"[A-Za-z0-9_-]+", fresh)
    assert same_state("abc", "abc")
    assert not same_state("abc", "abd") and not same_state(None, "abc")
    assert not same_state("abc", None)


def test_only_local_paths_are_followed_after_sign_in() -> None:
    assert safe_next("/teacher/sections/sec-31") == "/teacher/sections/sec-31"
    for bad in ("https://evil.example/", "//evil.example", "/\\evil", "", None):
        assert safe_next(bad) == "/"


def test_the_framework_speaks_the_pages_language_and_marks_its_english() -> None:
    body = {
        "title": "Grade 3 mathematics",
        "titles": {"es": "Matemáticas de 3.º grado"},
        "mastery_threshold": 0.95,
        "competencies": [
            {
                "code": "3.OA.A.1",
                "description": "Interpret a product",
                "descriptions": {"es": "Interpretar un producto"},
                "prerequisites": [],
            },
            {"code": "3.OA.A.2", "description": "Interpret a quotient", "prerequisites": []},
        ],
    }
    spanish = views.Framework(body, "es")
    assert spanish.title == "Matemáticas de 3.º grado"
    assert spanish.describe == {
        "3.OA.A.1": "Interpretar un producto",
        "3.OA.A.2": "Interpret a quotient",
    }
    assert spanish.lang_of == {"3.OA.A.1": "es", "3.OA.A.2": "en"}
    assert views.Framework(body).describe["3.OA.A.1"] == "Interpret a product"


@pytest.mark.parametrize(
    ("status", "reason", "key"),
    [
        ("suppressed", "digest", "status.held.digest"),
        ("suppressed", "quiet_hours", "status.held.quiet_hours"),
        ("suppressed", "opted_out", "status.suppressed.opted_out"),
        ("suppressed", None, "status.suppressed"),
        ("sent", None, "status.sent"),
        ("something new", None, "status.pending"),
    ],
)
def test_a_family_reads_a_held_message_as_waiting_and_a_skipped_one_with_its_reason(
    status: str, reason: str | None, key: str
) -> None:
    assert status_key(status, reason) == key
    for lang in i18n.LANGUAGES:
        assert i18n.translator(lang)(key) != key


def test_a_code_in_a_sentence_stays_left_to_right() -> None:
    text = i18n.translator("ar")("teacher.section_title", section=i18n.ltr("cls-1-3a"))
    assert "\u2066cls-1-3a\u2069" in text
