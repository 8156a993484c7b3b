"""The key store and sealing personal data: what makes erasure real."""
