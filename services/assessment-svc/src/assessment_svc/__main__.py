"""``python -m assessment_svc`` runs the service."""

from assessment_svc.main import SPEC
from pathwise_runtime.service import run

run(SPEC)
