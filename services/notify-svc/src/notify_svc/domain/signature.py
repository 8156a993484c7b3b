"""Providers' webhook signatures: Twilio's ``X-Twilio-Signature`` and Vonage's ``sig``.

Twilio's is base64(HMAC-SHA1(auth token, URL + each POST parameter's name and
value, sorted by name)). Vonage's SMS API signs the parameters themselves with
the account's signature secret (see ``vonage_signature``). notify-svc checks
them on delivery reports and inbound messages; the development sink computes
them when it calls back, so the checks are exercised for real.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping


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


# Vonage SMS API signed webhooks ("sig"): the dashboard picks one of these methods.
VONAGE_METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")
VONAGE_MAX_SKEW_S = 300


def vonage_signature(secret: str, params: Mapping[str, str], method: str) -> str:
    """Vonage's ``sig``: every parameter but ``sig`` as ``&name=value``, sorted by name.

    ``&`` and ``=`` inside a value become ``_``. ``md5hash`` is MD5 of that string
    followed by the signature secret; the others are HMACs keyed with the secret.
    Hex digest (Vonage may send it in upper case; compare case-insensitively).
    """
    if method not in VONAGE_METHODS:
        raise ValueError(f"signature method must be one of {', '.join(VONAGE_METHODS)}")
    payload = "".join(
        f"&{name}={params[name].replace('&', '_').replace('=', '_')}"
        for name in sorted(params)
        if name != "sig"
    ).encode()
    if method == "md5hash":
        return hashlib.md5(payload + secret.encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), payload, method).hexdigest()


def valid_vonage_signature(
    secret: str, params: Mapping[str, str], method: str, *, now: float
) -> bool:
    """A correct ``sig`` over a ``timestamp`` no more than five minutes from ``now``.

    The timestamp is part of what is signed, so checking its age keeps a
    captured webhook from being replayed later.
    """
    signature, stamp = params.get("sig"), params.get("timestamp", "")
    if not signature or not stamp.isdigit() or abs(now - int(stamp)) > VONAGE_MAX_SKEW_S:
        return False
    expected = vonage_signature(secret, params, method)
    return hmac.compare_digest(expected, signature.lower())
