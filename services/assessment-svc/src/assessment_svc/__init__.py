"""assessment-svc: ingests assessment results and keeps them queryable."""
