"""assessment-svc's settings beyond the runtime's."""

from __future__ import annotations

from pydantic import Field, SecretStr

from assessment_svc.domain import producers
from pathwise_runtime.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    # Credentials of the ingest topic's producers (see domain.producers). Unset, the
    # topic speaks for the service's DISTRICT_ID alone: a one-district deployment.
    ingest_producers: SecretStr | None = Field(None, validation_alias="INGEST_PRODUCERS")
    # Raw vendor documents are deleted from the submissions topic once admitted (sealed
    # on assessment.events.v1), this often; 0 leaves them to the topic's retention.
    submissions_prune_interval_s: float = Field(
        60.0, validation_alias="SUBMISSIONS_PRUNE_INTERVAL_S", ge=0
    )

    def producers(self) -> dict[str, producers.Producer]:
        if self.ingest_producers is None:
            return {}
        return producers.parse(self.ingest_producers.get_secret_value())
