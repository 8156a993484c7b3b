"""Pure decisions of path-svc: the competency graph, mastery estimates and paths.

Nothing here touches Kafka, Postgres or HTTP, so replay and tests can run it
on plain values.
"""
