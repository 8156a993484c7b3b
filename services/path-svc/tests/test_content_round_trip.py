"""A framework survives its trip through the log whole: what replay rebuilds a district's
framework from carries its grades (placement) and its text in every language."""

from __future__ import annotations

import pytest

from path_svc.domain import catalogue
from path_svc.domain.content import package_of, published
from path_svc.domain.package import Package

pytestmark = pytest.mark.unit
MAX_EVENT_BYTES = 1_000_000
"""Kafka's default largest record."""


@pytest.mark.parametrize("name", ["grade3-math", "ccssm-3-5", "ccssm-k8", "ela-k8"])
def test_every_bundled_framework_round_trips_through_framework_published(name: str) -> None:
    framework = catalogue.load(name)
    event = published(Package(framework), "district:d1")
    assert len(event.model_dump_json()) < MAX_EVENT_BYTES
    back = package_of(event).framework
    assert (back.name, back.version, back.title, back.titles) == (
        framework.name,
        framework.version,
        framework.title,
        framework.titles,
    )

    def whole(fw: object) -> list[tuple[object, ...]]:
        return [
            (c.code, c.description, c.prerequisites, c.params, dict(c.descriptions), c.grade)
            for c in fw.competencies  # type: ignore[attr-defined]
        ]

    assert whole(back) == whole(framework)
    assert Package(back).digest == Package(framework).digest
