"""Long-running loops beside the projections: the sender that mails and texts."""
