"""Settings that shorten the services' timers where nobody waits on a real district.

Tests (and anything else that starts a fresh stack and waits for it) pass these
to the services they run. Correctness never depends on them: they only move
what the services wait for closer together.
"""

from __future__ import annotations

# The embedded broker holds a new consumer group's first join for half the session
# timeout (5 s at the default 10 s). Two seconds: assigned within one, and still long
# enough that a member busy on a loaded machine keeps its partitions.
SESSION_TIMEOUT_MS = 2000

QUICK_SETTINGS: dict[str, str] = {
    "CONSUMER_SESSION_TIMEOUT_MS": str(SESSION_TIMEOUT_MS),
}
