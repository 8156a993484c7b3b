"""Turning a planned notification into a mail and handing it to the SMTP server.

The Message-ID is the notification id, so even if a mail were ever handed over
twice, mail systems and the demo's mailbox can recognise it as the same one.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

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


async def deliver(message: EmailMessage, settings: NotifySettings) -> None:
    """Hand the mail to the configured server; raise SendFailed when it does not take it."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=password,
            timeout=settings.smtp_timeout_s,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        raise SendFailed(
            f"recipient refused ({', '.join(map(str, codes))})",
            permanent=all(500 <= c < 600 for c in codes),
        ) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise SendFailed(f"{exc.code} {exc.message}", permanent=500 <= exc.code < 600) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from exc
