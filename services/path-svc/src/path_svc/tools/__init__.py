"""Offline tools over path-svc's model: fitting and evaluating mastery, simulated
trials, building CASE packages. The `pathwise` CLI reaches them through the
``pathwise.commands`` entry points; the service itself never imports them."""
