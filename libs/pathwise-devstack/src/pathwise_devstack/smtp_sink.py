"""An SMTP server that accepts every mail, so notify-svc can send for real in dev and tests.

Each mail is appended as one JSON line to a mailbox file, so other processes
(the e2e suite, `pathwise demo`) can count and inspect deliveries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from pathwise_devstack.ports import LOOPBACK, free_port
from pathwise_devstack.sinks import JsonLines, Sink, read_json_lines


class _Recorder:
    """aiosmtpd handler: parse headers, keep the record, append it to the mailbox."""

    def __init__(self, records: JsonLines) -> None:
        self._records = records

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        message = BytesParser(policy=default_policy).parsebytes(raw, headersonly=True)
        self._records.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "subject": message.get("Subject"),
                "message_id": message.get("Message-ID"),
                "headers": {key: str(value) for key, value in message.items()},
                "received_at": datetime.now(UTC).isoformat(),
            }
        )
        return "250 Message accepted for delivery"


class SmtpSink(Sink):
    """aiosmtpd on a free loopback port, recording every mail it receives."""

    def __init__(self, mailbox: Path, *, port: int | None = None) -> None:
        super().__init__(JsonLines(mailbox))
        self.mailbox = mailbox
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self._controller: Controller | None = None

    def _serve(self) -> None:
        self._controller = Controller(_Recorder(self._records), hostname=self.host, port=self.port)
        self._controller.start()

    def _shutdown(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


def read_mailbox(path: Path) -> list[dict[str, Any]]:
    """Parse a mailbox file written by `SmtpSink` (missing file: no mail)."""
    return read_json_lines(path)
