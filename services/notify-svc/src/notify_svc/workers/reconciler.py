"""The reconciler: settles sends whose outcome is unknown, by asking the provider.

A send that timed out after its request went out, or that a crash cut short,
is 'unknown'. Every ``NOTIFY_RECONCILE_INTERVAL_S`` the sender asks the
provider about each such message by its reference: SMS by the provider's
lookup (Vonage: client-ref in the Reports API; Twilio: the messages To the
number, matched by text and time), mail by the relay's lookup when one is
configured (``SMTP_LOOKUP_URL``). ``domain.reconcile`` decides from the answer:
record it sent, send it again once through the normal path (with the same
Message-ID or reference), wait, or fail it with the reason on the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import datetime
from typing import Protocol

import asyncpg

from notify_svc.adapters import mail
from notify_svc.adapters.clock import Clock
from notify_svc.adapters.contacts import ContactOpener
from notify_svc.adapters.sms import Sms, SmsFailed, SmsProvider
from notify_svc.commands import claims, deliveries, unknowns
from notify_svc.commands.claims import Job
from notify_svc.commands.unknowns import Unknown
from notify_svc.domain.reconcile import Action, Answer, reason, settle
from notify_svc.domain.rules import Rules
from notify_svc.domain.sms_text import SmsText
from notify_svc.settings import NotifySettings

log = logging.getLogger("notify_svc.workers.sender")


class _Settling(Protocol):
    """What settling needs of the sender it is part of."""

    _pool: asyncpg.Pool
    _settings: NotifySettings
    _contacts: ContactOpener
    _sms: SmsProvider | None
    _source: str
    _clock: Clock
    _rules: Rules
    _stopping: asyncio.Event

    async def _text_of(self, jobs: list[Job]) -> SmsText: ...

    def _wake_all(self) -> None: ...

    async def reconcile_once(self) -> Counter[str]: ...

    async def _settle(self, unknown: Unknown, now: datetime) -> Action: ...

    async def _ask(self, unknown: Unknown) -> tuple[Answer, list[str], str | None]: ...

    async def _ask_sms(self, unknown: Unknown) -> tuple[Answer, list[str], str | None]: ...

    def _where(self, unknown: Unknown) -> dict[str, str]: ...


class Reconciling:
    """Mixed into ``Sender``: marks unknown outcomes and settles them."""

    async def _unknown(self: _Settling, jobs: list[Job], error: str) -> None:
        """No answer after the request went out: 'unknown', to be settled, never resent blindly."""
        first = jobs[0]
        log.warning(
            "send outcome unknown; the reconciler will ask the provider",
            extra={"notification_id": first.target.notification_id, "attempt": first.attempt},
        )
        await unknowns.record_unknown(
            self._pool,
            [job.target for job in jobs],
            max(job.attempt for job in jobs),
            error,
            self._source,
            now=self._clock(),
        )

    async def reconcile_once(self: _Settling) -> Counter[str]:
        """Ask about every unknown message, a page at a time, a few at once (so many
        timeouts in an outage still settle within minutes); returns each step's count."""
        now = self._clock()
        steps: Counter[str] = Counter()
        limit = asyncio.Semaphore(self._settings.concurrency)

        async def one(unknown: Unknown) -> None:
            async with limit:
                steps[await self._settle(unknown, now)] += 1

        after: str | None = None
        while page := await unknowns.pending(self._pool, self._settings.batch_size, after=after):
            await asyncio.gather(*(one(unknown) for unknown in page))
            after = page[-1].ref
        if steps["resend"]:
            self._wake_all()
        return steps

    async def _settle(self: _Settling, unknown: Unknown, now: datetime) -> Action:
        answer, found, template = await self._ask(unknown)
        for provider_id in found:  # the first the provider has that no other row records
            if await deliveries.record_sent(
                self._pool,
                unknown.targets,
                unknown.template or template or f"{unknown.channel}.unrecorded",
                self._source,
                provider_id=provider_id,
                unclaimed=True,
            ):
                log.info("unknown send settled: the provider has it", extra=self._where(unknown))
                return "record_sent"
        if found:  # every match is another notification's text
            answer = "absent"
        action = settle(
            answer,
            since_send=now - (unknown.sending_at or unknown.unknown_since),
            since_unknown=now - unknown.unknown_since,
            resends=unknown.resends,
            policy=self._settings.reconcile,
        )
        where = {**self._where(unknown), "answer": answer}
        if action == "record_sent":  # a mail the relay has (no provider id)
            await deliveries.record_sent(
                self._pool,
                unknown.targets,
                unknown.template or template or f"{unknown.channel}.unrecorded",
                self._source,
            )
            log.info("unknown send settled: the provider has it", extra=where)
        elif action == "resend":
            why = reason(action, answer, unknown.resends)
            await unknowns.resend(self._pool, unknown, why, self._source, now=now)
            log.warning("unknown send settled: sending it again", extra=where)
        elif action == "give_up":
            why = reason(action, answer, unknown.resends)
            await unknowns.give_up(self._pool, unknown, why, self._source, now=now)
            log.error("unknown send failed", extra={**where, "reason": why})
        return action

    @staticmethod
    def _where(unknown: Unknown) -> dict[str, str]:
        return {"notification_id": unknown.ref, "channel": unknown.channel}

    async def _ask(self: _Settling, unknown: Unknown) -> tuple[Answer, list[str], str | None]:
        """The provider's answer, the ids of its messages that may be this one (texts),
        and the text's template."""
        if unknown.channel == "sms":
            return await self._ask_sms(unknown)
        return await mail.lookup(f"<{unknown.ref}@pathwise>", self._settings), [], None

    async def _ask_sms(self: _Settling, unknown: Unknown) -> tuple[Answer, list[str], str | None]:
        if self._sms is None:
            return "unavailable", [], None
        jobs = await claims.load(self._pool, unknown.ids, self._rules.default_time_zone)
        jobs = sorted(jobs, key=lambda j: (j.planned_at, j.target.notification_id))
        if not jobs or jobs[0].phone is None:
            return "unavailable", [], None
        try:  # the number and the text, to look the message up as it was sent
            number = await self._contacts.open(jobs[0].phone, jobs[0].target.district_id)
        except Exception:
            return "unavailable", [], None
        # The text as it went out: its competency title may read differently now.
        if unknown.body is not None:
            body, template = unknown.body, unknown.template
        else:  # sent before texts were kept
            text = await self._text_of(jobs)
            body, template = text.text, text.template
        sms = Sms(to=number, body=body, reference=unknown.ref)
        try:
            found = await self._sms.lookup(sms, unknown.sending_at or unknown.unknown_since)
        except SmsFailed:
            return "unavailable", [], template
        return ("found" if found else "absent"), [a.provider_id for a in found], template

    async def _reconcile_loop(self: _Settling) -> None:
        """Every NOTIFY_RECONCILE_INTERVAL_S until stopped; a failed round is only logged."""
        while not self._stopping.is_set():
            try:
                await self.reconcile_once()
            except Exception:
                log.exception("reconciling unknown sends failed; trying again next round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._settings.reconcile_interval_s)
