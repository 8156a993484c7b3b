"""The outside world: SMTP, the SMS providers, profile-svc's contact and consent APIs,
signed unsubscribe links and the clock."""
