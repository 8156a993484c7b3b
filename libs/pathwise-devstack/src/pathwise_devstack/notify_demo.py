"""The demo's view of what families received: mails and texts per language and per kind.

Mails are read from the development SMTP sink's mailbox, texts from the SMS
sink's outbox, so both count what actually left notify-svc, not what it
planned. A mail's template header (``<kind>.<language>``) says both; a digest
counts once under ``digest``. Teachers' support alerts (``teacher_support_needed.en``)
are counted apart as ``teacher_alerts``. A text is only a short body, so its language
comes from notify-svc's record of the provider message it became
(``sms.<kind>.<language>`` in the delivery log), one per provider message.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Protocol

import asyncpg
import httpx

from pathwise_devstack.sms_sink import read_outbox


class _Mailboxes(Protocol):
    def mails(self) -> list[dict[str, Any]]: ...


_SMS_BY_LANGUAGE = """
    SELECT split_part(l.template, '.', 3) AS language, count(DISTINCT d.provider_id) AS n
      FROM deliveries d JOIN delivery_log l USING (notification_id)
     WHERE d.channel = 'sms' AND l.status = 'sent' AND d.provider_id IS NOT NULL
     GROUP BY 1 ORDER BY 1
"""


async def _sms_by_language(platform: object) -> dict[str, int]:
    database_url = getattr(platform, "database_url", None)
    if database_url is None:
        return {}
    conn = await asyncpg.connect(database_url("notify-svc"))
    try:
        rows = await conn.fetch(_SMS_BY_LANGUAGE)
    finally:
        await conn.close()
    return {r["language"] or "unknown": int(r["n"]) for r in rows}


async def demo_step(client: httpx.AsyncClient, platform: _Mailboxes) -> dict[str, Any]:
    """Counts for the demo summary: emails per language and kind, teachers' alerts, SMS."""
    del client  # everything needed is in the sinks; kept for the demo-step signature
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
    infra = getattr(platform, "infra", None)
    outbox: Path | None = getattr(infra, "sms_outbox_path", None)
    return {
        "emails_by_language": dict(sorted(languages.items())),
        "emails_by_kind": dict(sorted(kinds.items())),
        "emails_with_one_click_unsubscribe": unsubscribe_links,
        "teacher_alerts": sum(n for k, n in kinds.items() if k.startswith("teacher_")),
        "sms_sent": len(read_outbox(outbox)) if outbox is not None else 0,
        "sms_by_language": await _sms_by_language(platform),
    }
