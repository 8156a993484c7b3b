"""The demo's view of what families received: mails per language and per kind.

Read from the development SMTP sink's mailbox, so it counts what actually
left notify-svc, not what it planned. The template header
(``<kind>.<language>``) says both; a digest counts once under ``digest``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

import httpx


class _Mailboxes(Protocol):
    def mails(self) -> list[dict[str, Any]]: ...


async def demo_step(client: httpx.AsyncClient, platform: _Mailboxes) -> dict[str, Any]:
    """Counts for the demo summary: ``{"emails_by_language": {...}, "emails_by_kind": {...}}``."""
    del client  # everything needed is in the sink; kept for the demo-step signature
    languages: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    unsubscribe_links = 0
    for mail in platform.mails():
        headers = mail.get("headers", {})
        template = str(headers.get("X-Pathwise-Template", "unknown.unknown"))
        kind, _, language = template.rpartition(".")
        languages[language or "unknown"] += 1
        kinds[kind or "unknown"] += 1
        unsubscribe_links += "List-Unsubscribe" in headers
    return {
        "emails_by_language": dict(sorted(languages.items())),
        "emails_by_kind": dict(sorted(kinds.items())),
        "emails_with_one_click_unsubscribe": unsubscribe_links,
    }
