"""The write side: admitted results and statements become events in the outbox."""
