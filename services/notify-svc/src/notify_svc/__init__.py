"""notify_svc."""
