"""Turning a planned notification into a mail and handing it to the SMTP server.

The Message-ID is the notification id, so even if a mail were ever handed over
twice, mail systems and the demo's mailbox can recognise it as the same one.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
import httpx

from notify_svc.adapters.outcome import OutcomeUnknown
from notify_svc.domain.reconcile import Answer
from notify_svc.domain.templates import Rendered
from notify_svc.settings import NotifySettings


@dataclass(frozen=True, slots=True)
class Addressed:
    """Everything a mail needs besides its rendered text."""

    notification_id: str
    cause_event_id: str
    evidence_id: str
    student_id: str
    to: str
    unsubscribe: str | None = None


class SendFailed(Exception):
    """The server did not take the mail; ``permanent`` means retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def compose(mail: Addressed, rendered: Rendered, sender: str) -> EmailMessage:
    """A multipart text + HTML mail with the headers that trace it back to the log."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{mail.notification_id}@pathwise>"
    message["Content-Language"] = rendered.language
    message["X-Pathwise-Notification-Id"] = mail.notification_id
    message["X-Pathwise-Cause-Id"] = mail.cause_event_id
    message["X-Pathwise-Evidence-Id"] = mail.evidence_id
    message["X-Pathwise-Student-Id"] = mail.student_id
    message["X-Pathwise-Template"] = rendered.template
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe:
        # RFC 2369 + RFC 8058: mail clients show an unsubscribe button that POSTs the link.
        message["List-Unsubscribe"] = f"<{mail.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


GOODBYE_S = 1.0  # how long closing waits for the server to answer QUIT


class SmtpConnections:
    """SMTP connections kept open between mails, one per mail in flight.

    Connecting (greeting, EHLO, STARTTLS, AUTH) costs several round trips and
    more CPU than handing a mail over. A connection goes back for the next mail
    only after the server took one on it; after any error it is closed. One the
    server closed while idle, or idle longer than ``SMTP_KEEPALIVE_S`` (servers
    drop idle clients after a few minutes), is not used again, so a send is
    never begun on a connection known to be gone.
    """

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings
        self._idle: list[tuple[float, aiosmtplib.SMTP]] = []

    async def deliver(self, message: EmailMessage) -> None:
        """``deliver`` on a kept connection (or a new one)."""
        client = await self._take()
        try:
            await _hand_over(client, message)
        except BaseException:
            client.close()
            raise
        if client.is_connected and self._settings.smtp_keepalive_s > 0:
            self._idle.append((time.monotonic(), client))
        else:
            await _quit(client)

    async def _take(self) -> aiosmtplib.SMTP:
        oldest = time.monotonic() - self._settings.smtp_keepalive_s
        while self._idle:
            since, client = self._idle.pop()  # the most recently used: least likely stale
            if client.is_connected and since > oldest:
                return client
            client.close()
        return await _connect(self._settings)

    async def aclose(self) -> None:
        """Say goodbye on every idle connection, briefly: a silent server is not waited for."""
        idle, self._idle = [client for _, client in self._idle], []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(self._settings.smtp_timeout_s, GOODBYE_S)):
                await asyncio.gather(*(_quit(client) for client in idle))
        for client in idle:
            client.close()


async def deliver(
    message: EmailMessage, settings: NotifySettings, connections: SmtpConnections | None = None
) -> None:
    """Hand the mail to the configured server; raise SendFailed when it does not take it.

    Failing to connect (or log in) is a failure: nothing was handed over. Losing
    the server (timeout, dropped connection) once the mail is on its way is
    ``OutcomeUnknown``: the server may have taken it before it went silent.
    Without ``connections`` the mail gets a connection of its own.
    """
    if connections is not None:
        await connections.deliver(message)
        return
    client = await _connect(settings)
    try:
        await _hand_over(client, message)
        await _quit(client)
    finally:
        client.close()


async def _connect(settings: NotifySettings) -> aiosmtplib.SMTP:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        start_tls=settings.smtp_starttls,
        username=settings.smtp_username,
        password=password,
        timeout=settings.smtp_timeout_s,
    )
    try:
        await client.connect()
    except aiosmtplib.SMTPResponseException as exc:
        raise SendFailed(f"{exc.code} {exc.message}", permanent=500 <= exc.code < 600) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    return client


async def _hand_over(client: aiosmtplib.SMTP, message: EmailMessage) -> None:
    try:
        await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        raise SendFailed(
            f"recipient refused ({', '.join(map(str, codes))})",
            permanent=all(500 <= c < 600 for c in codes),
        ) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise SendFailed(f"{exc.code} {exc.message}", permanent=500 <= exc.code < 600) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise OutcomeUnknown(f"no answer from the mail server ({type(exc).__name__})") from exc


async def _quit(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        await client.quit()  # the mail was taken: a lost goodbye changes nothing
    client.close()


async def lookup(message_id: str, settings: NotifySettings) -> Answer:
    """Ask the relay whether it has a mail with this Message-ID (``SMTP_LOOKUP_URL``).

    The URL answers ``GET ?message_id=...`` with a JSON list of the mails it
    has, each with its ``message_id`` (the development sink's ``/messages``).
    Without one the answer is ``no_lookup``: the mail is sent again with the
    same Message-ID, which mail stores de-duplicate.
    """
    if settings.smtp_lookup_url is None:
        return "no_lookup"
    try:
        async with httpx.AsyncClient(timeout=settings.smtp_timeout_s) as client:
            answer = await client.get(settings.smtp_lookup_url, params={"message_id": message_id})
        answer.raise_for_status()
        mails = answer.json()
    except (httpx.HTTPError, ValueError):
        return "unavailable"
    if not isinstance(mails, list):
        return "unavailable"
    found = any(isinstance(m, dict) and m.get("message_id") == message_id for m in mails)
    return "found" if found else "absent"
