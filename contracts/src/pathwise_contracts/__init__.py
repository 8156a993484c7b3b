"""pathwise_contracts."""
