"""path_svc."""
