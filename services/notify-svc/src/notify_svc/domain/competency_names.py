"""What a competency is called in each language, from path-svc's framework.

A message names a competency by its title in the guardian's language and
keeps the code in parentheses ("Multiplicar y dividir hasta 100 (3.OA.C.7)"):
families read words, teachers and the family page use the code. path-svc's
``GET /v1/framework`` gives each competency a ``description`` (English) and
``descriptions`` by language tag; that statement is the title. A language
without one shows the English, marked as English (``Named.fallback``), and
no title at all (path-svc not reachable, a code the framework lacks) leaves
the code alone: a message never waits for a name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENGLISH = "en"
_TRAILING = " .。;:،"


@dataclass(frozen=True, slots=True)
class Named:
    """A competency as a message names it: its code and, when known, a title."""

    code: str
    title: str | None = None
    language: str | None = None  # the title's language
    fallback: bool = False  # the English title stands in for the guardian's language


class CompetencyNames:
    """Titles per competency code and language, English always among them."""

    def __init__(self, titles: Mapping[str, Mapping[str, str]]) -> None:
        self._titles = {code: dict(by_lang) for code, by_lang in titles.items()}

    @classmethod
    def from_framework(cls, body: Mapping[str, Any]) -> CompetencyNames:
        """From ``GET /v1/framework``'s answer; raises ValueError on another shape."""
        competencies = body.get("competencies")
        if not isinstance(competencies, list):
            raise ValueError("framework: 'competencies' is not a list")
        titles: dict[str, dict[str, str]] = {}
        for c in competencies:
            if not isinstance(c, Mapping) or not isinstance(c.get("code"), str):
                raise ValueError("framework: a competency without a 'code'")
            by_lang = {ENGLISH: c.get("description")} | dict(c.get("descriptions") or {})
            titles[c["code"]] = {
                lang: _clean(text)
                for lang, text in by_lang.items()
                if isinstance(text, str) and _clean(text)
            }
        return cls(titles)

    def __len__(self) -> int:
        return len(self._titles)

    def name(self, code: str, language: str) -> Named:
        """``code`` in ``language`` (a supported tag: 'es', 'zh-Hans'), English if missing."""
        by_lang = self._titles.get(code, {})
        if language in by_lang:
            return Named(code, by_lang[language], language)
        if ENGLISH in by_lang:
            return Named(code, by_lang[ENGLISH], ENGLISH, fallback=language != ENGLISH)
        return Named(code)


def name(names: CompetencyNames | None, code: str, language: str) -> Named:
    """``code`` named with ``names`` when there are any, the bare code otherwise."""
    return names.name(code, language) if names is not None and code else Named(code)


def shorten(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` within ``limit`` characters, cut at a word with ``ellipsis``; '' if none fits."""
    if len(text) <= limit:
        return text
    room = limit - len(ellipsis)
    if room <= 0:
        return ""
    cut = text[:room]
    if " " in text and text[room : room + 1] != " ":
        cut = cut.rsplit(" ", 1)[0] if " " in cut else ""
    cut = cut.rstrip(" ,;:")
    return f"{cut}{ellipsis}" if cut else ""


def _clean(text: str) -> str:
    """A statement as a title: one line, without its closing full stop."""
    return " ".join(text.split()).rstrip(_TRAILING)
