"""The SMS channel of the sender: one text about a claimed notification (or a digest).

Texts follow the same claim -> sending -> outcome steps as mail, through the
``SmsProvider`` port; they name the competency (no score, no name) with a
link, and are never sent to a number that replied STOP. The text as sent is
kept on its rows, so the reconciler looks up exactly that text.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import asyncpg

from notify_svc.adapters.clock import Clock
from notify_svc.adapters.contacts import ContactGone, ContactOpener, LookupFailed
from notify_svc.adapters.outcome import OutcomeUnknown
from notify_svc.adapters.sms import Sms, SmsFailed, SmsProvider
from notify_svc.commands import deliveries, sms_numbers, unknowns
from notify_svc.commands.claims import Job
from notify_svc.domain.sms_text import SmsText
from notify_svc.settings import NotifySettings
from pathwise_runtime import telemetry

log = logging.getLogger("notify_svc.workers.sender")


class _Texting(Protocol):
    """What texting needs of the sender it is part of."""

    _pool: asyncpg.Pool
    _settings: NotifySettings
    _contacts: ContactOpener
    _sms: SmsProvider | None
    _number_key: bytes
    _limit: asyncio.Semaphore
    _source: str
    _clock: Clock
    texts: int

    async def _failed(
        self, jobs: list[Job], error: str, *, permanent: bool, sending: bool = False
    ) -> None: ...

    async def _unknown(self, jobs: list[Job], error: str) -> None: ...

    async def _text_of(self, jobs: list[Job]) -> SmsText: ...


class SmsSending:
    """Mixed into ``Sender``: its ``_attempt`` hands SMS jobs here."""

    async def _attempt_sms(self: _Texting, jobs: list[Job]) -> None:
        """Send one text about ``jobs``, through the same claim -> sending -> outcome steps."""
        first = jobs[0]
        if self._sms is None:
            await self._failed(
                jobs, "no SMS provider configured (SMS_PROVIDER_URL)", permanent=True
            )
            return
        text = await self._text_of(jobs)
        try:
            assert first.phone is not None
            number = await self._contacts.open(first.phone, first.target.district_id)
        except LookupFailed as exc:
            await self._failed(jobs, str(exc), permanent=False)
            return
        except Exception as exc:
            error = str(exc) if isinstance(exc, ContactGone) else type(exc).__name__
            await self._failed(jobs, f"contact details unreadable ({error})", permanent=True)
            return
        phone_hash = sms_numbers.number_hash(self._number_key, number)
        if await sms_numbers.stopped(self._pool, phone_hash):
            for job in jobs:
                await deliveries.record_suppressed(
                    self._pool, job.target, "opted_out", self._source
                )
            return
        target = first.target
        await sms_numbers.remember(
            self._pool,
            phone_hash,
            sms_numbers.Recipient(target.district_id, target.student_id, target.guardian_id),
        )
        ids = [job.target.notification_id for job in jobs]
        ref = unknowns.reference_of(ids, [job.resent_ref for job in jobs])
        try:
            async with self._limit:
                taken = await deliveries.begin_send_many(
                    self._pool,
                    ids,
                    ref=ref,
                    template=text.template,
                    now=self._clock(),
                    body=text.text,
                )
                jobs = [job for job in jobs if job.target.notification_id in taken]
                if not jobs:
                    return
                with telemetry.span_after(
                    target.cause_event_id,
                    "sms send",
                    {"messaging.system": "sms", "pathwise.notifications": len(jobs)},
                ):
                    accepted = await self._sms.send(
                        Sms(
                            to=number,
                            body=text.text,
                            status_callback=self._settings.sms_status_url,
                            reference=ref,
                        )
                    )
        except SmsFailed as exc:
            log.warning("sms failed", extra={"notification_id": ids[0], "attempt": first.attempt})
            await self._failed(jobs, str(exc), permanent=exc.permanent, sending=True)
            return
        except OutcomeUnknown as exc:  # the provider may have it: the reconciler asks
            await self._unknown(jobs, str(exc))
            return
        await deliveries.record_sent(
            self._pool,
            [job.target for job in jobs],
            text.template,
            self._source,
            provider_id=accepted.provider_id,
        )
        self.texts += 1
