"""When a failed send is tried again, and when it is given up on.

Exponential back-off spreads retries out while the mail server recovers;
jitter keeps many notifications that failed together from retrying together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry schedule: ``retries`` more attempts after the first, then give up."""

    base_s: float = 5.0
    cap_s: float = 900.0
    retries: int = 5

    @property
    def max_attempts(self) -> int:
        return 1 + self.retries

    def exhausted(self, attempts: int) -> bool:
        """True when ``attempts`` sends have failed and none may follow."""
        return attempts >= self.max_attempts

    def ceiling(self, attempts: int) -> float:
        """The longest wait after the ``attempts``-th failure (before jitter)."""
        return min(self.cap_s, self.base_s * 2.0 ** (attempts - 1))

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failure: half the ceiling plus jitter."""
        ceiling = self.ceiling(attempts)
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
