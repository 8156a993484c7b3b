"""profile_svc."""
