"""Service settings from the environment, so one image runs on a laptop and in a cluster."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every Pathwise service reads at start.

    Names follow what operators already set (``DATABASE_URL``,
    ``KAFKA_BOOTSTRAP_SERVERS``, ``OTEL_*``) rather than a private prefix.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = Field("pathwise", validation_alias=AliasChoices("SERVICE_NAME"))
    database_url: str = Field(
        "postgresql://postgres@localhost/postgres", validation_alias="DATABASE_URL"
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    # Broker trust (kafka_security): TLS and SASL/SCRAM as the cluster's listener asks.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias="KAFKA_SASL_PASSWORD")
    kafka_ssl_cafile: str | None = Field(None, validation_alias="KAFKA_SSL_CAFILE")
    kafka_ssl_certfile: str | None = Field(None, validation_alias="KAFKA_SSL_CERTFILE")
    kafka_ssl_keyfile: str | None = Field(None, validation_alias="KAFKA_SSL_KEYFILE")
    # Off by default: the embedded broker cannot do InitProducerId. Correctness never
    # depends on it (outbox + deterministic ids + consumer de-duplication do).
    kafka_enable_idempotence: bool = Field(False, validation_alias="KAFKA_ENABLE_IDEMPOTENCE")
    consumer_max_records: int = Field(2000, validation_alias="CONSUMER_MAX_RECORDS", ge=1)
    consumer_fetch_max_wait_ms: int = Field(
        100, validation_alias="CONSUMER_FETCH_MAX_WAIT_MS", ge=0
    )
    # The embedded broker answers a waiting fetch only when it next polls its log, so the
    # wait bounds each hop's latency; and each empty fetch costs it CPU. Projections
    # nothing waits on promptly (ServiceSpec.unhurried) poll ten times less often.
    consumer_unhurried_fetch_max_wait_ms: int = Field(
        1000, validation_alias="CONSUMER_UNHURRIED_FETCH_MAX_WAIT_MS", ge=0
    )
    consumer_batch_timeout_ms: int = Field(50, validation_alias="CONSUMER_BATCH_TIMEOUT_MS", ge=0)
    # How long a silent member keeps its partitions; the broker also holds a new
    # group's first join for about half of it (tests and demos shorten it).
    consumer_session_timeout_ms: int = Field(
        10_000, validation_alias="CONSUMER_SESSION_TIMEOUT_MS", ge=1000
    )
    http_host: str = Field("0.0.0.0", validation_alias="HTTP_HOST")
    http_port: int = Field(8080, validation_alias="HTTP_PORT")
    district_id: str = Field("d1", validation_alias="DISTRICT_ID")
    # Bearer JWT validation: a JWKS endpoint in production, a shared dev secret embedded.
    auth_jwks_url: str | None = Field(None, validation_alias="PATHWISE_AUTH_JWKS_URL")
    auth_dev_secret: SecretStr | None = Field(None, validation_alias="PATHWISE_AUTH_DEV_SECRET")
    auth_audience: str = Field("pathwise", validation_alias="PATHWISE_AUTH_AUDIENCE")
    auth_issuer: str | None = Field(None, validation_alias="PATHWISE_AUTH_ISSUER")
    # Request bodies (runtime.limits): documents (JSON, forms) and packages (zip).
    http_max_document_bytes: int = Field(
        4 * 1024 * 1024, validation_alias="HTTP_MAX_DOCUMENT_BYTES", ge=1024
    )
    http_max_package_bytes: int = Field(
        64 * 1024 * 1024, validation_alias="HTTP_MAX_PACKAGE_BYTES", ge=1024
    )
    http_max_json_depth: int = Field(64, validation_alias="HTTP_MAX_JSON_DEPTH", ge=2, le=1000)
    pii_master_key: SecretStr | None = Field(None, validation_alias="PATHWISE_PII_KEY")
    pii_legacy_keys: bool = Field(
        False,
        validation_alias="PATHWISE_PII_LEGACY_KEYS",
        description="Open values sealed with derived subject keys (first releases); "
        "erasure cannot destroy those.",
    )
    log_format: str = Field("json", validation_alias="LOG_FORMAT")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    otel_exporter_endpoint: str | None = Field(None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    outbox_poll_interval_s: float = Field(1.0, validation_alias="OUTBOX_POLL_INTERVAL_S", gt=0)
    shutdown_grace_s: float = Field(20.0, validation_alias="SHUTDOWN_GRACE_S", gt=0)
    # How long a starting service waits for Postgres and Kafka before it gives up.
    startup_wait_s: float = Field(90.0, validation_alias="STARTUP_WAIT_S", gt=0)
