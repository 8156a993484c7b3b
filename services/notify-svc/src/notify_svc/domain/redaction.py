"""Provider errors go into events on the log, so addresses and numbers come out first.

An SMTP error often echoes the recipient ("550 <ana@example.org> unknown");
the log is permanent and erasure works only on encrypted fields, so the text
is scrubbed before it is stored anywhere.
"""

from __future__ import annotations

import re

MAX_LENGTH = 500
_EMAIL = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
# Seven or more digits, however punctuated, could be a phone number; SMTP status
# codes ("550 5.1.1") have fewer and survive.
_NUMBER = re.compile(r"\+?\d(?:[\s().-]{0,2}\d){6,}")


def scrub(error: str) -> str:
    """The error with e-mail addresses and phone-like numbers replaced, shortened to fit."""
    text = _NUMBER.sub("[number]", _EMAIL.sub("[address]", error))
    text = " ".join(text.split())
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 1] + "…"
