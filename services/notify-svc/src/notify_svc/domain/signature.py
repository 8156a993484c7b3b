"""Twilio's request signature (``X-Twilio-Signature``), for webhooks in both directions.

The signature is base64(HMAC-SHA1(auth token, URL + each POST parameter's name
and value, sorted by name)). notify-svc checks it on status callbacks and
inbound messages; the development sink computes it when it calls back, so the
check is exercised for real.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    payload = url + "".join(k + v for k, v in sorted(params, key=lambda kv: kv[0]))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_twilio_signature(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str | None
) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, params), signature)
