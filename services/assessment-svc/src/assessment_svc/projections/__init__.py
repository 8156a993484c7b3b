"""Events in, rows and events out: results, stored statements, and the intake that
matches external identities to enrolled students."""
