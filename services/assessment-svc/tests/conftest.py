"""Fixtures for assessment-svc tests: the app in-process, tokens, reading the topic."""

from __future__ import annotations

from assessment_svc.main import SPEC
from pathwise_contracts import ASSESSMENT_EVENTS
from pathwise_devstack.service_fixtures import service_fixtures

auth, offline_client, service, published, wait_until = service_fixtures(SPEC, ASSESSMENT_EVENTS)
