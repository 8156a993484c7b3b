"""What a guardian reads when their student masters a competency.

Messages carry no personal data: the competency code is the only fact, and the
guardian's own address appears only in the mail envelope. Wording is chosen by
the guardian's preferred language, falling back to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

COMPETENCY_MASTERED = "competency_mastered"
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready to be put in a mail; ``template`` names it in the delivery log."""

    template: str
    language: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class _Wording:
    subject: str
    headline: str
    body: str
    closing: str


_MASTERED: dict[str, _Wording] = {
    "en": _Wording(
        subject="Competency mastered: {code}",
        headline="Good news from Pathwise",
        body="Your student has mastered the competency {code}.",
        closing="You receive this because you asked to be told about learning progress.",
    ),
    "es": _Wording(
        subject="Competencia dominada: {code}",
        headline="Buenas noticias de Pathwise",
        body="Su estudiante ha dominado la competencia {code}.",
        closing="Recibe este mensaje porque pidió estar al tanto del progreso de aprendizaje.",
    ),
}


def language_of(tag: str) -> str:
    """The supported language a BCP 47 tag asks for ('es-MX' -> 'es'), else English."""
    primary = tag.split("-", 1)[0].lower()
    return primary if primary in _MASTERED else FALLBACK_LANGUAGE


def competency_mastered(competency_id: str, language: str) -> Rendered:
    """The 'competency mastered' message in the guardian's language."""
    lang = language_of(language)
    words = _MASTERED[lang]
    code = competency_id
    body = words.body.format(code=code)
    text = f"{words.headline}\n\n{body}\n\n{words.closing}\n"
    html = (
        f'<!doctype html><html lang="{lang}"><body>'
        f"<h1>{escape(words.headline)}</h1>"
        f"<p>{escape(words.body).format(code=f'<strong>{escape(code)}</strong>')}</p>"
        f"<p><small>{escape(words.closing)}</small></p>"
        "</body></html>"
    )
    return Rendered(
        template=f"{COMPETENCY_MASTERED}.{lang}",
        language=lang,
        subject=words.subject.format(code=code),
        text=text,
        html=html,
    )
