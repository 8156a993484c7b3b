"""An SMTP server that accepts every mail, so notify-svc can send for real in dev and tests.

Each mail is appended as one JSON line to a mailbox file, so other processes
(the e2e suite, `pathwise demo`) can count and inspect deliveries.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from pathwise_devstack.ports import LOOPBACK, free_port


class _Recorder:
    """aiosmtpd handler: parse headers, keep the record, append it to the mailbox."""

    def __init__(self, mailbox: Path) -> None:
        self.mailbox = mailbox
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        message = BytesParser(policy=default_policy).parsebytes(raw, headersonly=True)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "subject": message.get("Subject"),
            "message_id": message.get("Message-ID"),
            "headers": {key: str(value) for key, value in message.items()},
            "received_at": datetime.now(UTC).isoformat(),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.messages.append(record)
            with self.mailbox.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return "250 Message accepted for delivery"


class SmtpSink:
    """aiosmtpd on a free loopback port, recording every mail it receives."""

    def __init__(self, mailbox: Path, *, port: int | None = None) -> None:
        self.mailbox = mailbox
        self.host = LOOPBACK
        self.port = port if port is not None else free_port()
        self._recorder = _Recorder(mailbox)
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Mails received by this sink so far (a copy)."""
        return list(self._recorder.messages)

    def start(self) -> Self:
        """Create the mailbox file and start serving."""
        if self._controller is None:
            self.mailbox.parent.mkdir(parents=True, exist_ok=True)
            self.mailbox.touch()
            self._controller = Controller(self._recorder, hostname=self.host, port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        """Stop serving; the mailbox file stays for later inspection."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def read_mailbox(path: Path) -> list[dict[str, Any]]:
    """Parse a mailbox file written by `SmtpSink` (missing file: no mail)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
