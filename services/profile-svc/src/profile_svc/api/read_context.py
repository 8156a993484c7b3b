"""Where a profile-svc read is answered, for its entry in the access log."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request

from pathwise_runtime import disclosure
from pathwise_runtime.auth import Principal
from profile_svc.api.stream_http import runtime
from profile_svc.queries.disclosures import ReadContext


def read_context(request: Request, who: Principal, export_id: UUID | None = None) -> ReadContext:
    return ReadContext(
        source=runtime(request).source,
        endpoint=disclosure.endpoint_of(request),
        export_id=export_id or disclosure.export_id_of(request, who),
    )
