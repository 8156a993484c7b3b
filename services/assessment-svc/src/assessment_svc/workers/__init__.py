"""Long-running loops beside the projections: the Kafka submissions front door."""
