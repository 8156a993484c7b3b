"""The administrator's view of the message rules: every trigger, no deployment secrets."""

from __future__ import annotations

import pytest

from notify_svc.api.message_settings import describe
from notify_svc.domain.rules import load
from notify_svc.settings import NotifySettings

pytestmark = pytest.mark.unit


def test_every_trigger_is_described_and_secrets_stay_out() -> None:
    settings = NotifySettings(SMTP_PASSWORD="hunter2", SMS_PROVIDER_URL="http://sms.invalid")
    out = describe(load(), settings)
    kinds = {t.kind: t for t in out.triggers}
    assert set(kinds) == {"competency_mastered", "path_changed", "support_needed", "weekly_summary"}
    assert kinds["support_needed"].urgent and "teachers" in kinds["support_needed"].audiences
    assert out.digest_local_time == "18:00" and out.channels == {"email": True, "sms": True}
    dumped = out.model_dump_json()
    assert "hunter2" not in dumped and "sms.invalid" not in dumped
