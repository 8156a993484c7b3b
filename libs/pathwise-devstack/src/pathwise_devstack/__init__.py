"""pathwise_devstack."""
