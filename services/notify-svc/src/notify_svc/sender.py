"""The worker that mails planned notifications, once each.

It wakes when the planning projection announces new rows (LISTEN/NOTIFY) and
polls as a fallback, claims work by committing 'sending' first, sends, then
records the outcome and its event together. Sending lives here rather than in
a projection because a projection must be replayable; a mail cannot be unsent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg

from notify_svc import deliveries
from notify_svc.deliveries import NO_LONGER_PLANNED, Job
from notify_svc.domain.templates import competency_mastered
from notify_svc.mail import Addressed, SendFailed, compose, deliver
from notify_svc.projections import PLANNED_CHANNEL
from notify_svc.settings import NotifySettings
from pathwise_runtime.pii import Keyring
from pathwise_runtime.service import Runtime

log = logging.getLogger(__name__)


class Sender:
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
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._settings = settings
        self._keyring = keyring
        self._source = source
        self._rng = rng or random.Random()
        self._backoff = settings.backoff
        self._limit = asyncio.Semaphore(settings.concurrency)
        # Longer than any send can take, so only abandoned 'sending' rows look stale.
        self._stale = timedelta(seconds=2 * settings.smtp_timeout_s + 30)
        # Claims older than this were abandoned by a crash and go back in the queue; a
        # slow batch that outlives it is still safe, since begin_send is atomic.
        self._claim_lease = timedelta(seconds=settings.smtp_timeout_s)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-sender")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def recover(self, older_than: timedelta | None = None) -> int:
        """Close 'sending' rows a crash left behind (older than ``older_than``)."""
        closed = await deliveries.close_interrupted(
            self._pool, self._source, self._stale if older_than is None else older_than
        )
        if closed:
            log.warning("closed interrupted sends as unknown", extra={"count": closed})
        released = await deliveries.release_abandoned(self._pool, self._claim_lease)
        if released:
            log.warning("re-queued claims a crash left untried", extra={"count": released})
        return closed

    async def run_once(self) -> int:
        """Claim one batch of new and due notifications and attempt each; returns how many."""
        jobs = await deliveries.claim(self._pool, self._settings.batch_size)
        await asyncio.gather(*(self._attempt(job) for job in jobs))
        return len(jobs)

    async def _attempt(self, job: Job) -> None:
        target = job.target
        if not job.planned or job.email is None or job.competency_id is None:
            await deliveries.record_failed(
                self._pool, target, job.attempt, NO_LONGER_PLANNED, self._source, retry_in=None
            )
            return
        try:
            rendered = competency_mastered(job.competency_id, job.language)
            address = self._keyring.decrypt(job.email)
        except Exception as exc:  # an erased key: the address is gone for good
            await deliveries.record_failed(
                self._pool,
                target,
                job.attempt,
                f"contact details unreadable ({type(exc).__name__})",
                self._source,
                retry_in=None,
            )
            return
        message = compose(
            Addressed(
                notification_id=target.notification_id,
                cause_event_id=target.cause_event_id,
                evidence_id=job.evidence_id or "",
                student_id=target.student_id,
                to=address,
            ),
            rendered,
            self._settings.mail_from,
        )
        try:
            async with self._limit:
                if not await deliveries.begin_send(self._pool, target.notification_id):
                    return  # released after a stall and claimed again elsewhere
                await deliver(message, self._settings)
        except SendFailed as exc:
            give_up = exc.permanent or self._backoff.exhausted(job.attempt)
            retry_in = (
                None if give_up else timedelta(seconds=self._backoff.delay(job.attempt, self._rng))
            )
            log.warning(
                "send failed",
                extra={
                    "notification_id": target.notification_id,
                    "attempt": job.attempt,
                    "final": give_up,
                },
            )
            await deliveries.record_failed(
                self._pool, target, job.attempt, str(exc), self._source, retry_in=retry_in
            )
            return
        await deliveries.record_sent(self._pool, target, rendered.template, self._source)
        self.sent += 1

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
        try:
            await listener.add_listener(PLANNED_CHANNEL, lambda *_: self._wake.set())
            while not self._stopping.is_set():
                await self.recover()
                self._wake.clear()
                if await self.run_once() < self._settings.batch_size:
                    await self._sleep()
        finally:
            await listener.close()

    async def _sleep(self) -> None:
        """Until a NOTIFY, the poll interval, or stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self._settings.poll_interval_s)


async def start_sender(runtime: Runtime) -> Callable[[], Awaitable[None]]:
    """ServiceSpec worker: run a Sender for the service's lifetime; returns its stop."""
    sender = Sender(
        runtime.pool,
        runtime.settings.database_url,
        settings=NotifySettings(),
        keyring=Keyring.from_settings(runtime.settings),
        source=runtime.source,
    )
    await sender.start()
    runtime.extras["sender"] = sender
    return sender.stop
