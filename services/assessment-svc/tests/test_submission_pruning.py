"""Admitted raw submissions are deleted from the topic where the broker can; where it
cannot (the embedded broker has no DeleteRecords), retention bounds them and the
service says so once, and goes on admitting."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from assessment_svc.workers.submission_pruning import Pruner, admitted_through, deletable
from assessment_svc.workers.submissions import NATIVE
from pathwise_contracts import ASSESSMENT_SUBMISSIONS
from pathwise_runtime import metrics


@pytest.mark.unit
def test_only_partitions_admitted_further_than_last_time_are_pruned() -> None:
    admitted = {0: 9, 1: 4, 2: -1, 3: 7}
    assert deletable(admitted, {}) == {0: 10, 1: 5, 3: 8}
    assert deletable(admitted, {0: 10, 1: 3, 3: 8}) == {1: 5}


@pytest.mark.integration
async def test_a_broker_without_delete_records_is_reported_once_and_ingest_goes_on(
    service: Any,
    kafka_bootstrap: str,
    wait_until: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    student = f"stu-{secrets.token_hex(3)}"
    value = json.dumps(
        {
            "student_id": student,
            "competency_id": "3.OA.A.1",
            "score": 1,
            "max_score": 1,
            "occurred_at": "2026-09-02T10:00:00Z",
            "source": "lms",
            "source_id": f"{student}-1",
        }
    ).encode()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            ASSESSMENT_SUBMISSIONS.name,
            value,
            key=student.encode(),
            headers=[("content-type", NATIVE.encode())],
        )
    finally:
        await producer.stop()
    pool = service.runtime.pool

    async def admitted() -> bool:
        return bool(await admitted_through(pool))

    await wait_until(admitted)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        pruner = Pruner(pool, admin, {})
        with caplog.at_level(logging.WARNING):
            assert await pruner.prune_once() == {}
            assert await pruner.prune_once() == {}
    finally:
        await admin.close()
    assert pruner.supported is False and pruner.pruned == {}
    supported = metrics.REGISTRY.get_sample_value(
        "pathwise_submissions_pruning_supported", {"service": "assessment-svc"}
    )
    assert supported == 0
    warnings = [r for r in caplog.records if "did not delete admitted raw" in r.getMessage()]
    assert len(warnings) == 1, warnings
