"""profile-svc's data keys: students', guardians' and teachers' (``data_keys``).

The runtime's keystore (``pathwise_runtime.keystore``) with profile-svc's own
table, kinds and kid prefix: these are the keys behind every name and contact
on the profile log, and ``personal-data/open`` serves them by kid.
"""

from __future__ import annotations

from typing import Literal

from pathwise_runtime import keystore
from pathwise_runtime.keystore import DataKeys
from pathwise_runtime.pii import master_key

__all__ = ["KINDS", "STORED_PREFIX", "DataKeys", "Keystore", "Kind", "master_key"]

STORED_PREFIX = "dek:"
Kind = Literal["student", "guardian", "teacher"]
KINDS: tuple[Kind, ...] = ("student", "guardian", "teacher")


class Keystore(keystore.Keystore):
    def __init__(self, master: bytes) -> None:
        super().__init__(master, table="data_keys", prefix=STORED_PREFIX)
