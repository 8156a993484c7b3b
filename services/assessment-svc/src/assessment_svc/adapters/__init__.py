"""Adapters: what assessment-svc holds outside its tables (the keyring)."""
