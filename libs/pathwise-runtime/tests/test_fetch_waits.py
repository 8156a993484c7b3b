"""Which fetch wait each projection's consumer asks the broker for."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from pathwise_runtime import tally
from pathwise_runtime.service import Runtime, ServiceSpec, build_projectors
from pathwise_runtime.settings import ServiceSettings


class _Recorder:
    """Stands in for the FastStream broker: keeps what each subscriber asked for."""

    def __init__(self) -> None:
        self.options: dict[str, dict[str, Any]] = {}

    def subscriber(self, *topics: str, **options: Any) -> Any:
        self.options[options["group_id"]] = options
        return lambda handler: handler


def test_unhurried_projections_wait_longer_at_the_broker(tmp_path: Path) -> None:
    spec = ServiceSpec(
        name="waits-svc",
        migrations=tmp_path,
        projections=lambda _: [tally.Tally("hot", ["t"]), tally.Tally("audit", ["t"])],
        unhurried=("audit",),
    )
    settings = ServiceSettings(
        SERVICE_NAME="waits-svc",
        CONSUMER_FETCH_MAX_WAIT_MS=100,
        CONSUMER_UNHURRIED_FETCH_MAX_WAIT_MS=1000,
    )
    runtime = Runtime(settings, cast(Any, None), cast(Any, None), cast(Any, None))
    broker = _Recorder()
    for projector in build_projectors(spec, runtime):
        projector.register(cast(Any, broker))
    waits = {group: o["fetch_max_wait_ms"] for group, o in broker.options.items()}
    assert waits == {"waits-svc.hot": 100, "waits-svc.audit": 1000}
