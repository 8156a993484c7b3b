"""path-svc's HTTP surface: reads of paths and mastery, the portal's glance reads, and the
commands (publish a framework, steer a step) that append facts through the outbox."""
