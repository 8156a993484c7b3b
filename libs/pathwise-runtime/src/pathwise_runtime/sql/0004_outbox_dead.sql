-- Outbox rows the broker refuses for good (too large for it): moved aside with the
-- reason, so they never block the rows behind them; an operator reads, fixes and
-- re-queues them (INSERT back into pathwise_outbox) or drops them.
CREATE TABLE IF NOT EXISTS pathwise_outbox_dead (
    seq         bigint      PRIMARY KEY,
    event_id    uuid        NOT NULL,
    topic       text        NOT NULL,
    key         text        NOT NULL,
    payload     bytea       NOT NULL,
    headers     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    dead_at     timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL
);
