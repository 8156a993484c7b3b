"""Events in, rows out: the ``profiles`` tables and each student's current mastery."""
