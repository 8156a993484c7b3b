"""A projector process for the kill -9 test: the Tally projection behind FastStream."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from faststream.kafka import KafkaBroker

from pathwise_runtime.applier import BatchApplier
from pathwise_runtime.projector import Projector
from pathwise_runtime.service import open_pool
from pathwise_runtime.tally import Tally


async def main() -> None:
    dsn, bootstrap, topic = sys.argv[1:4]
    pool = await open_pool(dsn)
    applier = BatchApplier(Tally("tally", [topic]), pool, bootstrap)
    projector = Projector(
        applier,
        group_id=f"tally-{topic}",
        max_records=int(os.environ.get("MAX_RECORDS", "300")),
        # A killed member holds its partitions this long; the next one joins after half.
        session_timeout_ms=2000,
    )
    broker = KafkaBroker(bootstrap, log_level=logging.DEBUG)
    projector.register(broker)
    await broker.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
