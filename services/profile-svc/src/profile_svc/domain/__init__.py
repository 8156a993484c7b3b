"""Pure decisions of profile-svc: no Kafka, Postgres or HTTP."""
