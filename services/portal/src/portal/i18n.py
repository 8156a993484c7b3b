"""Family-facing text in the five notification languages, from JSON catalogs in ``locales/``.

Each catalog maps a key to a text with ``{named}`` placeholders; English is
complete by definition and every other catalog falls back to it key by key,
so a missing translation shows English rather than a key. The guardian's
language comes from their contact preference in profile-svc unless they
chose another with the language switch (kept in the session).
"""

from __future__ import annotations

import functools
import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

LANGUAGES: Mapping[str, str] = {
    "en": "English",
    "es": "Español",
    "zh-Hans": "简体中文",
    "vi": "Tiếng Việt",
    "ar": "العربية",
}
"""Supported languages with their names in themselves (for the language switch)."""
DEFAULT = "en"
RTL = frozenset({"ar"})


@functools.cache
def catalog(language: str) -> Mapping[str, str]:
    """The catalog of a supported language, as shipped in ``portal/locales``."""
    if language not in LANGUAGES:
        raise KeyError(f"unsupported language {language!r}")
    text = resources.files("portal").joinpath("locales", f"{language}.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def negotiate(tag: str | None) -> str:
    """The supported language closest to a BCP 47 tag (``es-MX`` -> es, ``zh-CN`` -> zh-Hans)."""
    if not tag:
        return DEFAULT
    parts = tag.replace("_", "-").split("-")
    primary = parts[0].lower()
    if primary == "zh":
        return "zh-Hans"  # the only Chinese script offered; Traditional readers read it too
    for code in LANGUAGES:
        if code.lower() == primary:
            return code
    return DEFAULT


class _Only(string.Formatter):
    """Fills named placeholders; a placeholder without a value stays as written."""

    def get_value(self, key: int | str, args: object, kwargs: Mapping[str, object]) -> object:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return "{" + str(key) + "}"


_FORMAT = _Only()


@dataclass(frozen=True, slots=True)
class Translator:
    language: str

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RTL else "ltr"

    def __call__(self, key: str, **values: object) -> str:
        text = catalog(self.language).get(key) or catalog(DEFAULT).get(key)
        if text is None:
            raise KeyError(f"no text {key!r} in the English catalog")
        return _FORMAT.vformat(text, (), values) if values else text


def translator(language: str | None) -> Translator:
    return Translator(negotiate(language))


def ltr(text: object) -> str:
    """``text`` isolated left-to-right (LRI ... PDI): a competency code put into a sentence
    keeps its order on a right-to-left page (``3.OA.A.1``, not ``OA.A.1.3``)."""
    return f"\u2066{text}\u2069"
