"""How every Kafka client of a service proves who it is and keeps the wire private.

A district's cluster (Strimzi) listens with TLS and SASL/SCRAM: each service
has its own KafkaUser, whose ACLs allow only its own topics and groups. One
function turns the runtime's settings into FastStream's ``security`` for the
broker, and the same into aiokafka keyword arguments for the other clients
(outbox relay, ingest, replay, metrics, topic set-up), so no client connects
differently from the rest. The embedded stack stays on PLAINTEXT at 127.0.0.1.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from pathwise_runtime.settings import ServiceSettings

_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """FastStream's ``security`` for the settings; None for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    tls = protocol in ("SSL", "SASL_SSL")
    context = (
        create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
        )
        if tls
        else None
    )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
        raise RuntimeError(
            f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME and "
            "KAFKA_SASL_PASSWORD (the service's KafkaUser)"
        )
    if protocol == "SASL_PLAINTEXT" and settings.kafka_sasl_mechanism == "PLAIN":
        raise RuntimeError("SASL PLAIN without TLS would send the password in clear")
    return _SASL[settings.kafka_sasl_mechanism](
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=tls,
    )


def client_options(settings: ServiceSettings | None = None) -> dict[str, Any]:
    """aiokafka keyword arguments for the settings (the process environment if None)."""
    if settings is None:
        return dict(_from_environment())
    return parse_security(broker_security(settings))


@cache
def _from_environment() -> tuple[tuple[str, Any], ...]:
    return tuple(parse_security(broker_security(ServiceSettings())).items())
