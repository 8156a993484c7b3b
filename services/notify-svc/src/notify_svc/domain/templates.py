"""Rendering a message (or a day's digest of them) in the guardian's language.

The words live in ``wording``. The language is picked from the guardian's
BCP 47 tag; when it, or one message in it, is missing, the message falls back
to English and ``Rendered.fallback_from`` names what was asked for, so the
sender can count and log it (a district sees which translations families miss).
Arabic HTML is laid out right to left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from notify_svc.domain.wording import CLOSING, MESSAGES, RTL, UNSUBSCRIBE

COMPETENCY_MASTERED = "competency_mastered"
FALLBACK_LANGUAGE = "en"
SUPPORTED = ("en", "es", "zh-Hans", "vi", "ar")
_CHINESE_SIMPLIFIED = {"zh", "zh-hans", "zh-cn", "zh-sg", "zh-my"}


@dataclass(frozen=True, slots=True)
class Item:
    """One fact to tell: its kind and the (non-personal) values its words need."""

    kind: str
    code: str = ""
    codes: tuple[str, ...] = ()
    count: int = 0
    week: str = ""


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready to be put in a mail; ``template`` names it in the delivery log."""

    template: str
    language: str
    subject: str
    text: str
    html: str
    fallback_from: str | None = None
    kinds: tuple[str, ...] = field(default=())


def language_of(tag: str) -> str:
    """The supported language a BCP 47 tag asks for ('es-MX' -> 'es'), else English."""
    lowered = tag.lower()
    if lowered in _CHINESE_SIMPLIFIED or lowered.startswith("zh-hans-"):
        return "zh-Hans"
    primary = lowered.split("-", 1)[0]
    return primary if primary in SUPPORTED and primary != "zh" else FALLBACK_LANGUAGE


def _words(kind: str, tag: str) -> tuple[str, tuple[str, str, str], str | None]:
    lang = language_of(tag)
    asked = tag if lang == FALLBACK_LANGUAGE and not tag.lower().startswith("en") else None
    by_language = MESSAGES[kind]
    if lang not in by_language:
        asked, lang = lang, FALLBACK_LANGUAGE
    return lang, by_language[lang], asked


def _fill(pattern: str, item: Item, quote: bool) -> str:
    wrap = (lambda s: f"<strong>{escape(s)}</strong>") if quote else (lambda s: s)
    text = escape(pattern) if quote else pattern
    return text.format(
        code=wrap(item.code),
        codes=", ".join(wrap(c) for c in item.codes),
        count=item.count,
        week=escape(item.week) if quote else item.week,
    )


def _page(lang: str, headline: str, paragraphs: Sequence[str], unsubscribe: str | None) -> str:
    direction = ' dir="rtl"' if lang in RTL else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    link = (
        f'<p><small><a href="{escape(unsubscribe)}">{escape(UNSUBSCRIBE[lang])}</a></small></p>'
        if unsubscribe
        else ""
    )
    return (
        f'<!doctype html><html lang="{lang}"{direction}><body>'
        f"<h1>{escape(headline)}</h1>{body}"
        f"<p><small>{escape(CLOSING[lang])}</small></p>{link}"
        "</body></html>"
    )


def _text(headline: str, paragraphs: Sequence[str], lang: str, unsubscribe: str | None) -> str:
    tail = f"\n{UNSUBSCRIBE[lang]}: {unsubscribe}\n" if unsubscribe else ""
    return f"{headline}\n\n" + "\n\n".join(paragraphs) + f"\n\n{CLOSING[lang]}\n{tail}"


def render(item: Item, language: str, unsubscribe: str | None = None) -> Rendered:
    """One fact as its own message."""
    lang, (subject, headline, body), asked = _words(item.kind, language)
    return Rendered(
        template=f"{item.kind}.{lang}",
        language=lang,
        subject=_fill(subject, item, quote=False),
        text=_text(headline, [_fill(body, item, quote=False)], lang, unsubscribe),
        html=_page(lang, headline, [_fill(body, item, quote=True)], unsubscribe),
        fallback_from=asked,
        kinds=(item.kind,),
    )


def render_digest(
    items: Sequence[Item],
    language: str,
    unsubscribe: str | None = None,
    kind: str = "digest",
) -> Rendered:
    """Several facts in one message, each in the digest's language (English if it lacks one).

    ``kind`` is ``digest`` (the daily digest) or ``coalesced`` (facts that came
    close together, told at once).
    """
    lang, (subject, headline, _), asked = _words(kind, language)
    plain, marked = [], []
    for item in items:
        item_lang, (_, _, body), missing = _words(item.kind, lang)
        asked = asked or missing
        plain.append(_fill(MESSAGES[item.kind][item_lang][2], item, quote=False))
        marked.append(_fill(body, item, quote=True))
    return Rendered(
        template=f"{kind}.{lang}",
        language=lang,
        subject=subject.format(count=len(items)),
        text=_text(headline, plain, lang, unsubscribe),
        html=_page(lang, headline, marked, unsubscribe),
        fallback_from=asked,
        kinds=tuple(item.kind for item in items),
    )


def competency_mastered(competency_id: str, language: str) -> Rendered:
    """The 'competency mastered' message in the guardian's language."""
    return render(Item(COMPETENCY_MASTERED, code=competency_id), language)
