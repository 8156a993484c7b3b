"""PostgreSQL and Apache Kafka in Docker (testcontainers), for `PATHWISE_TEST_STACK=docker`.

Kafka runs as a plain container: testcontainers' KafkaContainer boots through
Confluent-only scripts that the `apache/kafka` image does not have.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from pathwise_devstack.kafka_probe import probe_kafka
from pathwise_devstack.ports import free_port

KAFKA_IMAGE = "apache/kafka:3.9.0"
POSTGRES_IMAGE = "postgres:17"


def _kafka_env(host: str, port: int) -> dict[str, str]:
    return {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:{port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }


@contextmanager
def docker_servers(ready_timeout: float = 120.0) -> Iterator[tuple[str, str]]:
    """Yield `(postgres admin dsn, kafka bootstrap servers)`; containers removed on exit."""
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.core.container import DockerContainer

    with ExitStack() as stack:
        postgres = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver=None))
        admin_dsn = postgres.get_connection_url(driver=None)
        port = free_port()
        kafka = DockerContainer(KAFKA_IMAGE).with_bind_ports(9092, port)
        host = kafka.get_container_host_ip()
        for key, value in _kafka_env(host, port).items():
            kafka.with_env(key, value)
        stack.enter_context(kafka)
        deadline = time.monotonic() + ready_timeout
        while True:
            try:
                probe_kafka(host, port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield admin_dsn, f"{host}:{port}"
