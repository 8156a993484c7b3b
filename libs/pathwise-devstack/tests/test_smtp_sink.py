"""The SMTP sink accepts mail and records it for other processes."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from pathwise_devstack.smtp_sink import SmtpSink, read_mailbox

pytestmark = pytest.mark.integration


def test_sink_records_mail_with_custom_headers(tmp_path: Path) -> None:
    mailbox = tmp_path / "mail" / "mailbox.jsonl"
    message = EmailMessage()
    message["From"] = "notify@pathwise.test"
    message["To"] = "guardian@example.test"
    message["Subject"] = "Progress update"
    message["Message-ID"] = "<cause-1@pathwise.test>"
    message["X-Pathwise-Cause"] = "cause-1"
    message.set_content("Your child mastered fractions.")
    with SmtpSink(mailbox) as sink:
        assert read_mailbox(mailbox) == []
        with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
            client.send_message(message)
        assert len(sink.messages) == 1
    [record] = read_mailbox(mailbox)
    assert record["mail_from"] == "notify@pathwise.test"
    assert record["rcpt_tos"] == ["guardian@example.test"]
    assert record["subject"] == "Progress update"
    assert record["message_id"] == "<cause-1@pathwise.test>"
    assert record["headers"]["X-Pathwise-Cause"] == "cause-1"
    assert record["text"].strip() == "Your child mastered fractions."
    assert record["received_at"]


def test_web_page_lists_the_mails_newest_first(tmp_path: Path) -> None:
    with SmtpSink(tmp_path / "mailbox.jsonl") as sink:
        for n in (1, 2):
            message = EmailMessage()
            message["From"] = "notify@pathwise.test"
            message["To"] = f"guardian{n}@example.test"
            message["Subject"] = f"Update <{n}>"
            message.set_content(f"Body {n}")
            with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
                client.send_message(message)
        page = httpx.get(sink.web_url, timeout=5)
        listing = httpx.get(f"{sink.web_url}/messages", timeout=5).json()
    assert page.status_code == 200
    assert "Mail sent (2)" in page.text
    assert page.text.index("Update &lt;2&gt;") < page.text.index("Update &lt;1&gt;")
    assert [m["subject"] for m in listing] == ["Update <1>", "Update <2>"]


def test_missing_mailbox_reads_as_empty(tmp_path: Path) -> None:
    assert read_mailbox(tmp_path / "absent.jsonl") == []
