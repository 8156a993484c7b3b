"""An SMTP server that accepts every mail, so notify-svc can send for real in dev and tests.

Each mail is appended as one JSON line to a mailbox file, so other processes
(the e2e suite, `pathwise demo`) can count and inspect deliveries; a small web
page (``web_url``) lists them with their text, newest first, so a developer
sees what families would have received.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from pathwise_devstack.ports import LOOPBACK, free_port
from pathwise_devstack.sinks import HttpThread, JsonLines, Sink, read_json_lines, sink_page

TEXT_LIMIT = 4000
"""Characters of a mail's plain-text part kept in the record (digests can be long)."""


class _Recorder:
    """aiosmtpd handler: parse headers, keep the record, append it to the mailbox."""

    def __init__(self, records: JsonLines) -> None:
        self._records = records

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        message: EmailMessage = BytesParser(policy=default_policy).parsebytes(raw)
        self._records.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "subject": message.get("Subject"),
                "message_id": message.get("Message-ID"),
                "headers": {key: str(value) for key, value in message.items()},
                "text": _plain_text(message),
                "received_at": datetime.now(UTC).isoformat(),
            }
        )
        return "250 Message accepted for delivery"


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    return str(part.get_content())[:TEXT_LIMIT]


class SmtpSink(Sink):
    """aiosmtpd on a free loopback port, recording every mail it receives; a web page
    on a second port lists them."""

    def __init__(
        self, mailbox: Path, *, port: int | None = None, web_port: int | None = None
    ) -> None:
        super().__init__(JsonLines(mailbox))
        self.mailbox = mailbox
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self._controller: Controller | None = None
        self._web = HttpThread(
            self._page(), self.host, web_port if web_port is not None else free_port(), "mail page"
        )

    @property
    def web_url(self) -> str:
        """Address of the page listing the mails received."""
        return self._web.url

    def _page(self) -> FastAPI:
        app = FastAPI(title="Pathwise SMTP sink", docs_url=None, redoc_url=None)

        @app.get("/messages")
        async def listing(message_id: str | None = None) -> list[dict[str, Any]]:
            """Every mail, or those with one Message-ID (how notify-svc settles a send)."""
            mails = self.messages
            return [m for m in mails if message_id is None or m.get("message_id") == message_id]

        @app.get("/", response_class=HTMLResponse)
        async def page() -> HTMLResponse:
            rows = [
                (
                    m["received_at"],
                    ", ".join(m["rcpt_tos"]),
                    m.get("headers", {}).get("X-Pathwise-Student-Id", ""),
                    m.get("headers", {}).get("X-Pathwise-Template", ""),
                    m.get("subject") or "",
                    m.get("text", ""),
                )
                for m in reversed(self.messages)
            ]
            columns = ("When", "To", "Student", "Template", "Subject", "Text")
            return HTMLResponse(sink_page("Mail sent", columns, rows))

        return app

    def _serve(self) -> None:
        self._controller = Controller(_Recorder(self._records), hostname=self.host, port=self.port)
        self._controller.start()
        self._web.start()

    def _shutdown(self) -> None:
        self._web.stop()
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


def read_mailbox(path: Path) -> list[dict[str, Any]]:
    """Parse a mailbox file written by `SmtpSink` (missing file: no mail)."""
    return read_json_lines(path)
