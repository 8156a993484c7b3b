"""Run path-svc: ``python -m path_svc``."""

from path_svc.main import SPEC
from pathwise_runtime.service import run

run(SPEC)
