"""Identity digests: how a result from another system finds its student without naming them.

Other systems name a student in their own scheme (an xAPI mbox or account, a
OneRoster sourcedId, an Ed-Fi studentUniqueId, a Caliper IRI). Only a keyed
digest of (scheme, id) travels on Kafka: HMAC-SHA256 under the district's
identity key, so nobody holding the log but not the key can test a guessed
email address or SIS id against it. profile-svc announces the digests an
enrolled student answers to; assessment-svc digests the identity each result
names; both follow the rules here, with the same key (``Keyring.identities``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

# How Pathwise's own student ids look to other systems: every enrolled student
# is known under these without any external id on file.
PATHWISE_ACCOUNT_HOMEPAGE = "urn:pathwise:students"
PATHWISE_CALIPER_PREFIX = "urn:pathwise:students:"

# StudentEnrolled's external ids: their keys and the scheme each one names.
EXTERNAL_ID_SCHEMES = {
    "oneroster": "oneroster",
    "sis": "oneroster",
    "edfi": "edfi",
    "xapi_mbox": "xapi-mbox",
    "xapi_account": "xapi-account",
    "xapi_openid": "xapi-openid",
    "caliper": "caliper",
}


def mbox_sha1sum(mbox: str) -> str:
    """xAPI's mbox_sha1sum of a ``mailto:`` IRI."""
    return hashlib.sha1(mbox.encode()).hexdigest()


def account(home_page: str, name: str) -> str:
    """An xAPI account as one value (the home page cannot contain a space)."""
    return f"{home_page} {name}"


def _names(student_id: str, external_ids: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every (scheme, value) an enrolled student answers to."""
    names = [
        ("oneroster", student_id),
        ("edfi", student_id),
        ("xapi-account", account(PATHWISE_ACCOUNT_HOMEPAGE, student_id)),
        ("caliper", PATHWISE_CALIPER_PREFIX + student_id),
    ]
    for key, value in external_ids.items():
        scheme = EXTERNAL_ID_SCHEMES.get(key)
        if scheme is None or not value:
            continue
        if scheme == "xapi-mbox":
            mbox = value if value.startswith("mailto:") else f"mailto:{value}"
            names += [("xapi-mbox", mbox), ("xapi-mbox_sha1sum", mbox_sha1sum(mbox))]
        elif scheme == "xapi-account":
            home_page, _, name = value.replace("|", " ", 1).partition(" ")
            names.append(("xapi-account", account(home_page, name)))
        else:
            names.append((scheme, value))
    return names


class Identities:
    """Identity digests under one district's key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("an identity key must have at least 32 bytes")
        self._key = key

    def digest(self, scheme: str, value: str) -> str:
        """The digest of ``value`` in ``scheme``."""
        message = f"pathwise-identity|{scheme}|{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def of_student(self, student_id: str, external_ids: Mapping[str, str]) -> list[str]:
        """Every digest an enrolled student answers to, sorted."""
        names = _names(student_id, external_ids)
        return sorted({self.digest(scheme, value) for scheme, value in names})


def legacy_digests(student_id: str, external_ids: Mapping[str, str]) -> list[str]:
    """The unkeyed digests logs written before identity keys used (SHA-256), sorted.

    Only for enrolments on such logs, so their results, digested the same old way,
    still find their student on replay.
    """
    names = _names(student_id, external_ids)
    return sorted(
        {
            hashlib.sha256(f"pathwise-identity|{scheme}|{value}".encode()).hexdigest()
            for scheme, value in names
        }
    )
