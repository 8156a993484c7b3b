"""pathwise_runtime."""
