"""The whole platform as separate processes, for the demo and the end-to-end tests.

Infrastructure (embedded or existing servers) plus the four services, each its
own OS process on a free port, reachable only through HTTP and Kafka, exactly
as a district would run them; then the web portal in front of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from pathwise_contracts import TOPICS
from pathwise_devstack import portal_process
from pathwise_devstack.devtoken import mint_token
from pathwise_devstack.entrypoints import service_spec
from pathwise_devstack.ports import free_port
from pathwise_devstack.services import SERVICES, service_by_name
from pathwise_devstack.smtp_sink import read_mailbox
from pathwise_devstack.stack import Infrastructure, start_infrastructure
from pathwise_devstack.supervisor import ConsolePrinter, Supervisor
from pathwise_runtime.topics import log_ends


class LogFile:
    """Service output to a file, prefixed with the service name (quiet demos, tests)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def __call__(self, name: str, line: str) -> None:
        with self._lock:
            self._file.write(f"[{name}] {line}\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()


class Platform:
    def __init__(
        self,
        workdir: Path,
        *,
        log_path: Path | None = None,
        ready_timeout: float = 90.0,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        """``settings``: environment every service starts with, on top of its own
        (``quick.QUICK_SETTINGS`` for tests)."""
        self.workdir = workdir
        self._settings = dict(settings or {})
        self._log = LogFile(log_path) if log_path else None
        self._ready_timeout = ready_timeout
        self._stack = contextlib.ExitStack()
        self.ports = {s.name: free_port() for s in SERVICES}
        self.portal_port = free_port()
        self.infra: Infrastructure
        self.supervisor: Supervisor

    def __enter__(self) -> Self:
        try:
            self.infra = self._stack.enter_context(start_infrastructure(self.workdir))
            self.supervisor = self._stack.enter_context(
                Supervisor(
                    ready_timeout=self._ready_timeout,
                    output=self._log or ConsolePrinter(),
                    handle_signals=False,
                )
            )
            for spec in SERVICES:
                self.supervisor.start_service(
                    self.infra,
                    spec,
                    self.ports[spec.name],
                    ports=self.ports,
                    wait=False,
                    settings=self._settings,
                )
            for spec in SERVICES:
                self.supervisor.wait_ready(spec.name)
            portal_process.start(self.supervisor, self.infra, self.portal_port, self.ports)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stack.close()
        if self._log:
            self._log.close()

    def url(self, service: str) -> str:
        return service_by_name(service).url(self.ports[service])

    @property
    def portal_url(self) -> str:
        """Where the web portal answers (sign in at ``/signin``)."""
        return portal_process.url(self.portal_port)

    def token(self, role: str = "service", district: str = "d1") -> str:
        return mint_token(self.infra.dev_secret, role=role, district=district)

    def kill(self, service: str) -> None:
        self.supervisor.kill(service)

    def restart(self, service: str) -> None:
        self.supervisor.restart(service)

    def mails(self) -> list[dict[str, Any]]:
        return read_mailbox(self.infra.mailbox_path)

    def database_url(self, service: str) -> str:
        return self.infra.database_url(service_by_name(service))

    async def end_offsets(
        self, consumer: AIOKafkaConsumer | None = None
    ) -> dict[tuple[str, int], int]:
        """Every topic's log end; ``consumer`` reuses a started one (cheap to ask often)."""
        own = consumer is None
        if consumer is None:
            consumer = AIOKafkaConsumer(bootstrap_servers=self.infra.bootstrap_servers)
            await consumer.start()
        try:
            tps = [TopicPartition(t.name, p) for t in TOPICS for p in range(t.partitions)]
            ends = await log_ends(consumer, tps)
            return {(tp.topic, tp.partition): end for tp, end in ends.items()}
        finally:
            if own:
                await consumer.stop()

    async def backlog(
        self,
        consumer: AIOKafkaConsumer | None = None,
        conns: dict[str, asyncpg.Connection] | None = None,
    ) -> dict[str, int]:
        """Per service: records not yet applied plus events not yet published (and, for
        notify-svc, messages not yet sent). ``consumer`` and ``conns`` reuse open ones."""
        ends = await self.end_offsets(consumer)
        result: dict[str, int] = {}
        for spec in SERVICES:
            conn = (conns or {}).get(spec.name) or await asyncpg.connect(
                self.database_url(spec.name)
            )
            try:
                marks = await watermarks(conn)
                pending = await unpublished(conn)
                waiting = await unsent(spec.name, conn)
            finally:
                if conn is not (conns or {}).get(spec.name):
                    await conn.close()
            result[spec.name] = lag(spec.name, ends, marks) + int(pending) + waiting
        return result

    async def wait_caught_up(self, *, timeout: float = 120.0, settle: float = 1.5) -> None:
        """Until nothing is left to apply or publish, mail has stopped arriving, and the
        portal's live feed reads the log's end (an update published before it does
        would never reach a page)."""
        async with asyncio.timeout(timeout):
            quiet_since: float | None = None
            mails = -1
            loop = asyncio.get_running_loop()
            while True:
                backlog = await self.backlog()
                count = len(self.mails())
                live = await self._portal_live()
                if sum(backlog.values()) == 0 and count == mails and live:
                    quiet_since = quiet_since or loop.time()
                    if loop.time() - quiet_since >= settle:
                        return
                else:
                    quiet_since = None
                mails = count
                await asyncio.sleep(0.3)

    async def _portal_live(self) -> bool:
        """The portal's live feed is positioned at the end of the path topic."""
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                ready = (await client.get(f"{self.portal_url}/readyz")).json()
        except (httpx.HTTPError, ValueError):
            return False
        return ready.get("live_feed") in (True, "off")

    async def event_counts(self) -> Counter[str]:
        """How many events of each CloudEvents type the four topics hold. An event a relay
        published twice (killed after sending, before marking it sent) counts once: it is
        one event, and consumers drop the second copy by its id."""
        ends = await self.end_offsets()
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.infra.bootstrap_servers, enable_auto_commit=False
        )
        await consumer.start()
        counts: Counter[str] = Counter()
        seen: set[bytes] = set()
        try:
            tps = [TopicPartition(t, p) for (t, p), end in ends.items() if end > 0]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            while True:
                todo = [
                    tp for tp in tps if await consumer.position(tp) < ends[(tp.topic, tp.partition)]
                ]
                if not todo:
                    return counts
                for records in (await consumer.getmany(*todo, timeout_ms=1000)).values():
                    for r in records:
                        headers = dict(r.headers or ())
                        ce_type, ce_id = headers.get("ce_type"), headers.get("ce_id")
                        if ce_type and (ce_id is None or ce_id not in seen):
                            seen.add(ce_id or b"")
                            counts[ce_type.decode().rsplit(".", 2)[-2]] += 1
        finally:
            await consumer.stop()


def lag(
    service: str, ends: dict[tuple[str, int], int], marks: dict[tuple[str, str, int], int]
) -> int:
    """Records on the service's topics its projections have not applied yet."""
    behind = 0
    for projection, topics in projections_of(service):
        for (t, p), end in ends.items():
            if t in topics:
                behind += max(0, end - 1 - marks.get((projection, t, p), -1))
    return behind


async def watermarks(conn: asyncpg.Connection) -> dict[tuple[str, str, int], int]:
    return {
        (r["projection"], r["topic"], r["partition"]): r["last_offset"]
        for r in await conn.fetch("SELECT * FROM pathwise_watermarks")
    }


async def unpublished(conn: asyncpg.Connection) -> int:
    """Outbox rows the service's relay has not published yet."""
    return int(
        await conn.fetchval("SELECT count(*) FROM pathwise_outbox WHERE published_at IS NULL")
    )


async def unsent(service: str, conn: asyncpg.Connection) -> int:
    """notify-svc: planned notifications not yet tried or being sent. A send in flight
    counts for a few seconds only: if a crash interrupted it, its outcome is unknown by
    design and it is never retried, so waiting for it would wait for nothing."""
    if service != "notify-svc":
        return 0
    return int(
        await conn.fetchval(
            """SELECT count(*) FROM notifications n
                 LEFT JOIN deliveries d USING (notification_id)
                WHERE d.notification_id IS NULL OR d.state IN ('claimed', 'failed')
                   OR (d.state = 'sending' AND d.updated_at > now() - interval '10 seconds')"""
        )
    )


def projections_of(name: str) -> list[tuple[str, tuple[str, ...]]]:
    """(name, topics) of each projection a service runs, without starting it."""
    spec = service_spec(name)
    probe = _SpecProbe()
    return [(p.name, tuple(p.topics)) for p in spec.projections(probe)]  # type: ignore[arg-type]


class _SpecProbe:
    """Enough of a Runtime for a ServiceSpec to construct its projections."""

    source = "urn:pathwise:probe"

    def __init__(self) -> None:
        from pathwise_runtime.settings import ServiceSettings

        self.settings = ServiceSettings()
        self.extras: dict[str, Any] = {}
