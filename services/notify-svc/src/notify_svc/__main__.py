"""``python -m notify_svc``: run the service process."""

from notify_svc.main import SPEC
from pathwise_runtime.service import run

run(SPEC)
