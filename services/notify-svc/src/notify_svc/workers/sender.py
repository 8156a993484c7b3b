"""The worker that mails (and texts) planned notifications, once each.

It wakes when the planning projection announces new rows (LISTEN/NOTIFY) and
polls as a fallback, claims work by committing 'sending' first, sends, then
records the outcome and its event together. Sending lives here rather than in
a projection because a projection must be replayable; a mail cannot be unsent.
A send that got no answer is 'unknown'; ``workers.reconciler`` settles it.

Before sending, each message meets the rules (``rules.json``) and the
guardian's schedule at the sender's clock: held for quiet hours, the daily
digest or its scheduled time (never dropped), suppressed when the channel is
off, or sent; due digest items of one guardian go out as one mail (one text).
Teachers' support alerts skip the schedule (they are staff, not families) and
are sent once each, in English, without an unsubscribe link.
Texts follow the same state machine through the ``SmsProvider`` port, name the
competency and a link, and are never sent to a number that replied STOP. The
words (and competency titles from path-svc) are ``workers.rendering``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import asyncpg

from notify_svc.adapters.clock import Clock, system_clock
from notify_svc.adapters.competency_titles import CompetencyTitles
from notify_svc.adapters.contacts import (
    ContactGone,
    ContactOpener,
    LookupFailed,
    ServiceCredentials,
)
from notify_svc.adapters.mail import Addressed, SendFailed, SmtpConnections, compose, deliver
from notify_svc.adapters.outcome import OutcomeUnknown
from notify_svc.adapters.sms import SmsProvider
from notify_svc.adapters.sms_provider import provider_from
from notify_svc.adapters.unsubscribe_links import Subscription, signing_key
from notify_svc.adapters.unsubscribe_links import link as unsubscribe_link
from notify_svc.commands import claims, deliveries, sms_numbers, unknowns
from notify_svc.commands.claims import Job
from notify_svc.commands.deliveries import NO_LONGER_PLANNED
from notify_svc.domain.rules import Rules
from notify_svc.domain.rules import load as load_rules
from notify_svc.domain.schedule import Decision, decide
from notify_svc.projections import PLANNED_CHANNEL
from notify_svc.settings import NotifySettings
from notify_svc.workers.reconciler import Reconciling
from notify_svc.workers.rendering import Rendering
from notify_svc.workers.sms_sending import SmsSending
from pathwise_runtime import telemetry
from pathwise_runtime.pii import Keyring
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)


class Sender(SmsSending, Reconciling, Rendering):
    """Claims, sends and records; one or more may run against the same database."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        *,
        settings: NotifySettings,
        keyring: Keyring,
        source: str,
        rng: random.Random | None = None,
        clock: Clock = system_clock,
        rules: Rules | None = None,
        contacts: ContactOpener | None = None,
        unsubscribe_key: bytes | None = None,
        sms: SmsProvider | None = None,
        number_key: bytes | None = None,
        titles: CompetencyTitles | None = None,
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._settings = settings
        self._contacts = contacts or ContactOpener(keyring)
        self._unsubscribe_key = unsubscribe_key
        self._sms = sms
        self._titles = titles
        if number_key is None and unsubscribe_key is not None:
            number_key = sms_numbers.number_key(unsubscribe_key)
        if sms is not None and number_key is None:
            raise ValueError("texting needs a key for number hashes (number_key)")
        self._number_key = number_key or b""
        self._source = source
        self._rng = rng or random.Random()
        self._clock = clock
        self._rules = rules or load_rules()
        self._backoff = settings.backoff
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._smtp = SmtpConnections(settings)
        # Longer than any send can take, so only abandoned 'sending' rows look stale.
        self._stale = timedelta(seconds=2 * settings.smtp_timeout_s + 30)
        # Claims older than this were abandoned by a crash and go back in the queue; a
        # slow batch that outlives it is still safe, since begin_send is atomic.
        self._claim_lease = timedelta(seconds=settings.smtp_timeout_s)
        self._wake = asyncio.Event()
        self._wakes: list[asyncio.Event] = []
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.texts = 0
        # Requested language -> messages sent in English because it had no translation.
        self.fallbacks: Counter[str] = Counter()
        # Why messages named competencies by code alone (path-svc down, PATH_URL unset).
        self.titles_unavailable: Counter[str] = Counter()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-sender")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake_all()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._contacts.aclose()
        await self._smtp.aclose()
        if self._sms is not None:
            await self._sms.aclose()
        if self._titles is not None:
            await self._titles.aclose()

    async def recover(self, older_than: timedelta | None = None) -> int:
        """Close 'sending' rows a crash left behind (older than ``older_than``)."""
        closed = await deliveries.close_interrupted(
            self._pool,
            self._source,
            self._stale if older_than is None else older_than,
            self._clock(),
        )
        if closed:
            log.warning("closed interrupted sends as unknown", extra={"count": closed})
        released = await deliveries.release_abandoned(self._pool, self._claim_lease)
        if released:
            log.warning("re-queued claims a crash left untried", extra={"count": released})
        return closed

    async def run_once(self) -> int:
        """Claim one batch of new and due notifications and act on each; returns how many."""
        now = self._clock()
        jobs = await claims.claim(
            self._pool,
            self._settings.batch_size,
            now,
            self._rules.default_time_zone,
            self._source,
        )
        singles: list[Job] = []
        digests: dict[tuple[str, str, str, str], list[Job]] = {}
        # A family's messages that open a window in the same batch share its end.
        windows: dict[tuple[str, str, str, str], datetime] = {}
        # Oldest first, so a family's window opens with its first fact.
        for job in sorted(jobs, key=lambda j: j.planned_at or now):
            if not job.planned or job.contact is None or job.item is None:
                await deliveries.record_failed(
                    self._pool,
                    job.target,
                    job.attempt,
                    NO_LONGER_PLANNED,
                    self._source,
                    retry_in=None,
                )
                continue
            if job.to_teacher:  # staff: no consent, quiet hours or digest; sent once
                singles.append(job)
                continue
            decision = self._decide(job, now, windows.get(job.group))
            if decision.action == "hold":
                assert decision.until is not None and decision.reason is not None
                if decision.reason == "coalesce":
                    windows.setdefault(job.group, decision.until)
                await deliveries.record_held(
                    self._pool, job.target, decision.until, decision.reason, self._source
                )
            elif decision.action == "suppress":
                await deliveries.record_suppressed(
                    self._pool, job.target, str(decision.reason), self._source
                )
            elif decision.digest:
                digests.setdefault(job.group, []).append(job)
            else:
                singles.append(job)
        await asyncio.gather(
            *(self._attempt([job]) for job in singles),
            *(self._attempt(group) for group in digests.values()),
        )
        return len(jobs)

    def _decide(self, job: Job, now: datetime, opened: datetime | None = None) -> Decision:
        assert job.preferences is not None and job.planned_at is not None
        return decide(
            self._rules[job.kind],
            job.preferences,
            planned_at=job.planned_at,
            now=now,
            digest_at=self._rules.digest_at,
            previous_hold=job.hold_reason,
            window=timedelta(seconds=self._settings.coalesce_window_s),
            window_until=job.window_until or opened,
        )

    def _unsubscribe(self, job: Job) -> str | None:
        if self._unsubscribe_key is None:
            return None
        target = job.target
        who = Subscription(target.district_id, target.student_id, target.guardian_id, "email")
        return unsubscribe_link(self._settings, self._unsubscribe_key, who)

    async def _attempt(self, jobs: list[Job]) -> None:
        """Send one mail about ``jobs`` (one notification, or a digest of several)."""
        jobs = sorted(jobs, key=lambda j: (j.planned_at, j.target.notification_id))
        first = jobs[0]
        if first.target.channel == "sms":
            await self._attempt_sms(jobs)
            return
        try:
            if first.to_teacher:
                unsubscribe = None  # an alert about their own student, not a mailing list
                rendered = await self._render_alert(first)
            else:
                unsubscribe = self._unsubscribe(first)
                rendered = await self._render(jobs, unsubscribe)
            assert first.email is not None
            address = await self._contacts.open(first.email, first.target.district_id)
        except LookupFailed as exc:  # profile-svc not reachable now: try again later
            await self._failed(jobs, str(exc), permanent=False)
            return
        except Exception as exc:  # an erased key: the address is gone for good
            error = str(exc) if isinstance(exc, ContactGone) else type(exc).__name__
            await self._failed(jobs, f"contact details unreadable ({error})", permanent=True)
            return
        ids = [job.target.notification_id for job in jobs]
        message_id = unknowns.reference_of(ids, [job.resent_ref for job in jobs])
        message = compose(
            Addressed(
                notification_id=message_id,
                cause_event_id=first.target.cause_event_id if len(jobs) == 1 else "digest",
                evidence_id=first.evidence_id or "",
                student_id=first.target.student_id,
                to=address,
                unsubscribe=unsubscribe,
            ),
            rendered,
            self._settings.mail_from,
        )
        try:
            async with self._limit:
                taken = await deliveries.begin_send_many(
                    self._pool, ids, ref=message_id, template=rendered.template, now=self._clock()
                )
                jobs = [job for job in jobs if job.target.notification_id in taken]
                if not jobs:
                    return  # released after a stall and claimed again elsewhere
                with telemetry.span_after(
                    first.target.cause_event_id,
                    "email send",
                    {"messaging.system": "smtp", "pathwise.notifications": len(jobs)},
                ):
                    await deliver(message, self._settings, self._smtp)
        except SendFailed as exc:
            log.warning(
                "send failed",
                extra={"notification_id": message_id, "attempt": jobs[0].attempt},
            )
            await self._failed(jobs, str(exc), permanent=exc.permanent, sending=True)
            return
        except OutcomeUnknown as exc:  # the server may have it: the reconciler asks
            await self._unknown(jobs, str(exc))
            return
        await deliveries.record_sent(
            self._pool, [job.target for job in jobs], rendered.template, self._source
        )
        self.sent += 1

    async def _failed(
        self, jobs: list[Job], error: str, *, permanent: bool, sending: bool = False
    ) -> None:
        """Record a failed attempt for every notification of one message, with one retry time.

        One delay for all keeps a digest's notifications due together, so the
        retry is still one mail. ``sending``: the message was handed to the
        provider (state 'sending'), not only claimed.
        """
        attempt = max(job.attempt for job in jobs)
        give_up = permanent or self._backoff.exhausted(attempt)
        retry_in = None if give_up else timedelta(seconds=self._backoff.delay(attempt, self._rng))
        for job in jobs:
            await deliveries.record_failed(
                self._pool,
                job.target,
                job.attempt,
                error,
                self._source,
                retry_in=retry_in,
                now=self._clock(),
                sending=sending,
            )

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._serve()
            except (OSError, asyncpg.PostgresError, ConnectionError) as exc:
                log.warning("sender restarting", extra={"error": str(exc)})
                await self._sleep()
            except Exception:
                log.exception("sender loop failed; restarting")
                await self._sleep()

    async def _serve(self) -> None:
        listener = await asyncpg.connect(self._dsn)
        self._wakes = [asyncio.Event() for _ in range(self._settings.workers)]
        try:
            await listener.add_listener(PLANNED_CHANNEL, lambda *_: self._wake_all())
            loops = [asyncio.create_task(self._work(i, w)) for i, w in enumerate(self._wakes)]
            loops.append(asyncio.create_task(self._reconcile_loop()))
            try:
                await asyncio.gather(*loops)
            finally:  # one loop failed (or we stop): none may go on without the others
                for loop in loops:
                    loop.cancel()
                await asyncio.gather(*loops, return_exceptions=True)
        finally:
            await listener.close()

    async def _work(self, index: int, wake: asyncio.Event) -> None:
        """One claim-and-send loop. Several run at once, so a batch waiting on its slowest
        message holds up only itself; claims skip each other's rows (SKIP LOCKED)."""
        while not self._stopping.is_set():
            if index == 0:
                await self.recover()
            wake.clear()
            if await self.run_once() < self._settings.batch_size:
                await self._sleep(wake)

    def _wake_all(self) -> None:
        self._wake.set()
        for wake in self._wakes:
            wake.set()

    async def _sleep(self, wake: asyncio.Event | None = None) -> None:
        """Until a NOTIFY, the poll interval, or stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for((wake or self._wake).wait(), self._settings.poll_interval_s)


async def start_sender(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """ServiceSpec worker: run a Sender for the service's lifetime; returns its stop."""
    settings = NotifySettings()
    keyring = Keyring.from_settings(runtime.settings)
    secret = settings.service_token.get_secret_value() if settings.service_token else None
    sms = provider_from(settings)
    credentials = ServiceCredentials(runtime.settings, secret)
    sender = Sender(
        runtime.pool,
        runtime.settings.database_url,
        settings=settings,
        keyring=keyring,
        source=runtime.source,
        contacts=ContactOpener(
            keyring,
            profile_url=settings.profile_url,
            credentials=credentials,
        ),
        unsubscribe_key=signing_key(runtime.settings),
        sms=sms,
        titles=CompetencyTitles(settings.path_url, credentials, ttl_s=settings.titles_ttl_s),
    )
    await sender.start()
    runtime.extras["sender"] = sender
    runtime.extras["sms"] = sms
    return sender.stop
