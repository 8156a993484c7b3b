-- Replies families sent (STOP, START, HELP) that notify-svc has acted on, by the
-- provider's message id: a provider retrying, or anyone replaying a signed
-- callback, does not act (or answer the family) twice. Operational state, not a
-- projection; rows older than the providers' retry window may be deleted.
CREATE TABLE sms_inbound_seen (
    provider   text        NOT NULL,
    message_id text        NOT NULL,
    acted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, message_id)
);
