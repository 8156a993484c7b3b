"""Pure notification decisions: what a message says and when to try again."""
