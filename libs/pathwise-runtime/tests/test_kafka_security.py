"""Broker trust from settings: TLS and SCRAM for every client, refused when half-configured."""

from __future__ import annotations

import ssl

import pytest
from faststream.security import SASLScram512

from pathwise_runtime.kafka_security import broker_security, client_options
from pathwise_runtime.settings import ServiceSettings

pytestmark = pytest.mark.unit


def _settings(**env: str) -> ServiceSettings:
    return ServiceSettings(**env)  # type: ignore[arg-type]


def test_plaintext_is_the_embedded_default() -> None:
    assert broker_security(_settings()) is None
    assert client_options(_settings()) == {}


def test_sasl_ssl_signs_in_with_scram_over_tls() -> None:
    settings = _settings(
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_USERNAME="path-svc",
        KAFKA_SASL_PASSWORD="s3cret",
    )
    security = broker_security(settings)
    assert isinstance(security, SASLScram512) and security.use_ssl
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "path-svc",
        "s3cret",
    )
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode is ssl.CERT_REQUIRED


def test_tls_alone_verifies_the_broker() -> None:
    options = client_options(_settings(KAFKA_SECURITY_PROTOCOL="SSL"))
    assert options["security_protocol"] == "SSL"
    assert options["ssl_context"].check_hostname


def test_sasl_without_credentials_or_plain_without_tls_is_refused() -> None:
    with pytest.raises(RuntimeError, match="KAFKA_SASL_USERNAME"):
        broker_security(_settings(KAFKA_SECURITY_PROTOCOL="SASL_SSL"))
    with pytest.raises(RuntimeError, match="in clear"):
        broker_security(
            _settings(
                KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
                KAFKA_SASL_MECHANISM="PLAIN",
                KAFKA_SASL_USERNAME="u",
                KAFKA_SASL_PASSWORD="p",
            )
        )
