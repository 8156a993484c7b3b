"""assessment_svc."""
