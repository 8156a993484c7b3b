"""notify-svc's sender alone, texting through Twilio's API at a sink, until it is killed.

Started by ``test_sms_kill.py`` as a process of its own so that SIGKILL stops it
wherever it is: between claiming and sending, mid-request, or before recording.
Arguments: the database DSN, the sink's URL, account SID and auth token.
"""

from __future__ import annotations

import asyncio
import sys

from notify_svc.adapters.sms import TwilioCredentials, TwilioSms
from notify_svc.settings import NotifySettings
from notify_svc.workers.sender import Sender
from pathwise_runtime.pii import Keyring
from pathwise_runtime.service import open_pool

KEY = b"k" * 32  # the tests' keyring (conftest.KEYRING)


async def main(dsn: str, url: str, sid: str, token: str) -> None:
    pool = await open_pool(dsn, min_size=1, max_size=8)
    settings = NotifySettings(
        coalesce_window_s=0,
        smtp_timeout_s=1,  # claims a killed sender left are released after a second
        batch_size=20,
        concurrency=8,
        poll_interval_s=0.1,
        sms_timeout_s=5,
    )
    sms = TwilioSms(url, TwilioCredentials(sid, token, "+15550100"), timeout_s=5)
    sender = Sender(
        pool,
        dsn,
        settings=settings,
        keyring=Keyring(KEY, legacy=True),
        source="urn:pathwise:notify-svc",
        sms=sms,
        unsubscribe_key=b"u" * 32,
    )
    await sender.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
