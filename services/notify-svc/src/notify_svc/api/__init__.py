"""notify-svc's HTTP surface: the delivery log and its export, one-click unsubscribe,
and what the SMS providers call (delivery reports, replies)."""
