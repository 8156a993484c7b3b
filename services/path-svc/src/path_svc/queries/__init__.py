"""Reads over path-svc's projection tables that more than one room needs."""
