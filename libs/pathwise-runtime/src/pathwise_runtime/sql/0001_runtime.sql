-- Bookkeeping every service shares: where each projection is in the log,
-- which events it has already applied, and events waiting to be published.

CREATE TABLE IF NOT EXISTS pathwise_watermarks (
    projection   text        NOT NULL,
    topic        text        NOT NULL,
    partition    integer     NOT NULL,
    last_offset  bigint      NOT NULL,
    -- Identity of the topic incarnation the offsets belong to (its creation marker).
    incarnation  text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, topic, partition)
);

CREATE TABLE IF NOT EXISTS pathwise_applied_events (
    projection  text NOT NULL,
    event_id    uuid NOT NULL,
    PRIMARY KEY (projection, event_id)
);

CREATE TABLE IF NOT EXISTS pathwise_outbox (
    seq           bigserial   PRIMARY KEY,
    event_id      uuid        NOT NULL UNIQUE,
    topic         text        NOT NULL,
    key           text        NOT NULL,
    payload       bytea       NOT NULL,
    headers       jsonb       NOT NULL DEFAULT '[]'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);

CREATE INDEX IF NOT EXISTS pathwise_outbox_pending
    ON pathwise_outbox (seq) WHERE published_at IS NULL;
