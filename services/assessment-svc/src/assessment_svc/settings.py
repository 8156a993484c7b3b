"""assessment-svc's settings beyond the runtime's."""

from __future__ import annotations

from pydantic import Field, SecretStr

from assessment_svc.domain import producers
from pathwise_runtime.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    # Credentials of the ingest topic's producers (see domain.producers). Unset, the
    # topic speaks for the service's DISTRICT_ID alone: a one-district deployment.
    ingest_producers: SecretStr | None = Field(None, validation_alias="INGEST_PRODUCERS")

    def producers(self) -> dict[str, producers.Producer]:
        if self.ingest_producers is None:
            return {}
        return producers.parse(self.ingest_producers.get_secret_value())
