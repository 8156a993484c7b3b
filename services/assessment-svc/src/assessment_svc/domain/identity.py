"""Who a result is about: external identities as digests, matched to enrolled students.

Other systems name a student in their own scheme (an xAPI mbox or account, a
OneRoster sourcedId, an Ed-Fi studentUniqueId, a Caliper IRI). Only a SHA-256
of (scheme, id) travels on Kafka, so the log never carries an email address,
and enrollment and results meet on the same digest without any key material,
which keeps the projection deterministic on replay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping

# How Pathwise's own student ids look to other systems: every enrolled student
# is known under these without any external id on file.
PATHWISE_ACCOUNT_HOMEPAGE = "urn:pathwise:students"
PATHWISE_CALIPER_PREFIX = "urn:pathwise:students:"

# StudentEnrolled.external_ids keys and the scheme each one names.
EXTERNAL_ID_SCHEMES = {
    "oneroster": "oneroster",
    "sis": "oneroster",
    "edfi": "edfi",
    "xapi_mbox": "xapi-mbox",
    "xapi_account": "xapi-account",
    "xapi_openid": "xapi-openid",
    "caliper": "caliper",
}


def digest(scheme: str, value: str) -> str:
    """The identity digest of ``value`` in ``scheme``."""
    return hashlib.sha256(f"pathwise-identity|{scheme}|{value}".encode()).hexdigest()


def mbox_sha1sum(mbox: str) -> str:
    """xAPI's mbox_sha1sum of a ``mailto:`` IRI."""
    return hashlib.sha1(mbox.encode()).hexdigest()


def account(home_page: str, name: str) -> str:
    """An xAPI account as one value (the home page cannot contain a space)."""
    return f"{home_page} {name}"


def of_student(student_id: str, external_ids: Mapping[str, str]) -> Iterator[str]:
    """Every identity digest an enrolled student answers to."""
    yield digest("oneroster", student_id)
    yield digest("edfi", student_id)
    yield digest("xapi-account", account(PATHWISE_ACCOUNT_HOMEPAGE, student_id))
    yield digest("caliper", PATHWISE_CALIPER_PREFIX + student_id)
    for key, value in external_ids.items():
        scheme = EXTERNAL_ID_SCHEMES.get(key)
        if scheme is None or not value:
            continue
        if scheme == "xapi-mbox":
            mbox = value if value.startswith("mailto:") else f"mailto:{value}"
            yield digest("xapi-mbox", mbox)
            yield digest("xapi-mbox_sha1sum", mbox_sha1sum(mbox))
        elif scheme == "xapi-account":
            home_page, _, name = value.replace("|", " ", 1).partition(" ")
            yield digest("xapi-account", account(home_page, name))
        else:
            yield digest(scheme, value)
