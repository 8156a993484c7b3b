"""Rendering a message (or a day's digest of them) in the guardian's language.

The words live in ``wording``. The language is picked from the guardian's
BCP 47 tag; when it, or one message in it, is missing, the message falls back
to English and ``Rendered.fallback_from`` names what was asked for, so the
sender can count and log it (a district sees which translations families miss).
Arabic HTML is laid out right to left. Competencies are named by their title
in that language with the code in parentheses (``competency_names``); an
English title standing in for a missing translation is marked and reported
the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from notify_svc.domain.competency_names import CompetencyNames, Named, name, shorten
from notify_svc.domain.wording import CLOSING, IN_ENGLISH, MESSAGES, RTL, UNSUBSCRIBE

COMPETENCY_MASTERED = "competency_mastered"
FALLBACK_LANGUAGE = "en"
SUPPORTED = ("en", "es", "zh-Hans", "vi", "ar")
_CHINESE_SIMPLIFIED = {"zh", "zh-hans", "zh-cn", "zh-sg", "zh-my"}
SUBJECT_TITLE_LIMIT = 60


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


def skill(named: Named, lang: str, *, quote: bool = False, limit: int | None = None) -> str:
    """A competency as a sentence names it: "Title (code)", the code alone without a title.

    ``quote``: as HTML, the title (or code) in bold, an English stand-in tagged
    ``lang="en"``; ``limit`` shortens the title (subjects), never the code.
    """
    title = named.title if limit is None or named.title is None else shorten(named.title, limit)
    if not title:
        return f"<strong>{escape(named.code)}</strong>" if quote else named.code
    inside = f"{named.code}, {IN_ENGLISH[lang]}" if named.fallback else named.code
    if not quote:
        return f"{title} ({inside})"
    tag = f' lang="{named.language}" dir="auto"' if named.fallback else ""
    return f"<strong{tag}>{escape(title)}</strong> ({escape(inside)})"


def _named(item: Item, lang: str, names: CompetencyNames | None) -> list[Named]:
    codes = item.codes if item.codes else ((item.code,) if item.code else ())
    return [name(names, code, lang) for code in codes]


def _fill(
    pattern: str,
    item: Item,
    quote: bool,
    lang: str = FALLBACK_LANGUAGE,
    names: CompetencyNames | None = None,
    limit: int | None = None,
) -> str:
    text = escape(pattern) if quote else pattern
    listed = [name(names, c, lang) for c in item.codes]
    joiner = "; " if any(n.title for n in listed) else ", "
    return text.format(
        code=skill(name(names, item.code, lang), lang, quote=quote, limit=limit),
        codes=joiner.join(skill(n, lang, quote=quote, limit=limit) for n in listed),
        count=item.count,
        week=escape(item.week) if quote else item.week,
    )


def _title_fallback(items: Sequence[Item], lang: str, names: CompetencyNames | None) -> bool:
    """Whether a title had to be shown in English for ``lang``."""
    return any(n.fallback for item in items for n in _named(item, lang, names))


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


def render(
    item: Item,
    language: str,
    unsubscribe: str | None = None,
    names: CompetencyNames | None = None,
) -> Rendered:
    """One fact as its own message; ``names`` titles its competencies (codes only if None)."""
    lang, (subject, headline, body), asked = _words(item.kind, language)
    if asked is None and _title_fallback([item], lang, names):
        asked = language
    return Rendered(
        template=f"{item.kind}.{lang}",
        language=lang,
        subject=_fill(subject, item, False, lang, names, limit=SUBJECT_TITLE_LIMIT),
        text=_text(headline, [_fill(body, item, False, lang, names)], lang, unsubscribe),
        html=_page(lang, headline, [_fill(body, item, True, lang, names)], unsubscribe),
        fallback_from=asked,
        kinds=(item.kind,),
    )


def render_digest(
    items: Sequence[Item],
    language: str,
    unsubscribe: str | None = None,
    kind: str = "digest",
    names: CompetencyNames | None = None,
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
        plain.append(_fill(MESSAGES[item.kind][item_lang][2], item, False, lang, names))
        marked.append(_fill(body, item, True, lang, names))
    if asked is None and _title_fallback(items, lang, names):
        asked = language
    return Rendered(
        template=f"{kind}.{lang}",
        language=lang,
        subject=subject.format(count=len(items)),
        text=_text(headline, plain, lang, unsubscribe),
        html=_page(lang, headline, marked, unsubscribe),
        fallback_from=asked,
        kinds=tuple(item.kind for item in items),
    )


def competency_mastered(
    competency_id: str, language: str, names: CompetencyNames | None = None
) -> Rendered:
    """The 'competency mastered' message in the guardian's language."""
    return render(Item(COMPETENCY_MASTERED, code=competency_id), language, names=names)
