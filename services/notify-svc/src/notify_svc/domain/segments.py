"""How many SMS segments a text costs, and fitting a text into a maximum.

Carriers bill and split per segment: a GSM-7 text fits 160 characters in one
segment (153 per segment once split), anything outside the GSM-7 alphabet
switches the whole text to UCS-2 with 70 (67) UTF-16 code units. The GSM-7
extension table (``{}[]~|^€\\``) costs two septets per character.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = "\f^{}\\[~]|€"
GSM7 = frozenset(_BASIC)
GSM7_EXTENSION = frozenset(_EXTENSION)
ELLIPSIS_GSM = "..."
ELLIPSIS_UCS2 = "…"


@dataclass(frozen=True, slots=True)
class Segments:
    """A text's encoding, its length in that encoding's units, and its segment count."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    count: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7 or c in GSM7_EXTENSION for c in text)


def count(text: str) -> Segments:
    """Segments ``text`` needs, as a carrier counts them."""
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi = 160, 153
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
        encoding = "UCS-2"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0)
    return Segments(encoding, units, -(-units // multi))


def fit(body: str, tail: str, max_segments: int) -> str:
    """``body`` then ``tail`` (e.g. a link), shortening the body with an ellipsis to fit.

    The tail is never cut: a link cut in half is worse than a shorter sentence.
    Words are kept whole where the text has spaces.
    """
    text = f"{body} {tail}".strip()
    if count(text).count <= max_segments:
        return text
    ellipsis = ELLIPSIS_GSM if is_gsm7(text) else ELLIPSIS_UCS2
    words = body.split(" ") if " " in body else list(body)
    joiner = " " if " " in body else ""
    while words:
        words.pop()
        shorter = f"{joiner.join(words).rstrip(' ,.;:')}{ellipsis} {tail}".strip()
        if count(shorter).count <= max_segments:
            return shorter
    return tail
