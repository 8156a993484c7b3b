"""Pure decisions of assessment-svc: no Kafka, Postgres or HTTP."""
