"""The SMS sink as its own process (Compose's `sms-sink`) accepts what notify-svc sends."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from pathwise_devstack import sms_server
from pathwise_devstack.ports import LOOPBACK, free_port
from pathwise_devstack.sms_sink import SmsSink, read_outbox

SID, TOKEN = "AC" + "0" * 32, "compose-sms-token"


def _basic() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()}


@pytest.mark.unit
def test_the_served_sink_is_healthy_and_records_messages(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.jsonl"
    app = sms_server.application(SmsSink(outbox, account_sid=SID, auth_token=TOKEN, port=1))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        sent = client.post(
            f"/2010-04-01/Accounts/{SID}/Messages.json",
            data={"To": "+15550100001", "From": "+15550100000", "Body": "hello"},
            headers=_basic(),
        )
    assert sent.status_code == 201
    assert [m["to"] for m in read_outbox(outbox)] == ["+15550100001"]


@pytest.mark.unit
def test_credentials_are_required_so_notify_svc_and_the_sink_agree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SMS_ACCOUNT_SID", raising=False)
    monkeypatch.delenv("SMS_AUTH_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="SMS_ACCOUNT_SID and SMS_AUTH_TOKEN"):
        sms_server.main(["--port", "1"])


@pytest.mark.integration
def test_the_module_serves_until_terminated(tmp_path: Path) -> None:
    port = free_port()
    outbox = tmp_path / "sms" / "outbox.jsonl"
    command = [sys.executable, "-m", "pathwise_devstack.sms_server", "--host", LOOPBACK]
    command += ["--port", str(port), "--outbox", str(outbox)]
    command += ["--account-sid", SID, "--auth-token", TOKEN]
    log = tmp_path / "sink.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://{LOOPBACK}:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "the sink did not start"
                time.sleep(0.1)
        assert health.status_code == 200
        assert outbox.exists()
    finally:
        process.terminate()
        # uvicorn shuts down cleanly, then re-raises the signal it caught.
        assert process.wait(timeout=10) in (0, -signal.SIGTERM)
