"""Fixtures shared by every test tier: the real Postgres and Kafka-protocol broker."""

pytest_plugins = ["pathwise_devstack.testing"]
