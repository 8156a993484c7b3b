"""``python -m profile_svc`` runs the service."""

from pathwise_runtime.service import run
from profile_svc.main import SPEC

run(SPEC)
