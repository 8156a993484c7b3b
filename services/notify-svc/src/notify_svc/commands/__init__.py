"""The sender's own bookkeeping outside the projections: which planned notification is in
which state, and the numbers it has texted; written with the outbox in one transaction."""
