-- notify-svc: the delivery log gains what a family or a records request asks about
-- (the trigger, the language, the provider's delivery report) and a 'scheduled'
-- state; the sender keeps delivery reports that arrive before its own record.

-- Projection "delivery_log" ----------------------------------------------------------

ALTER TABLE delivery_log DROP CONSTRAINT delivery_log_status_check;
ALTER TABLE delivery_log ADD CONSTRAINT delivery_log_status_check
    CHECK (status IN ('scheduled', 'sent', 'failed', 'suppressed'));
-- From NotificationScheduled: the rules.json trigger and the language asked for.
ALTER TABLE delivery_log ADD COLUMN cause text;
ALTER TABLE delivery_log ADD COLUMN language text;
-- From NotificationDeliveryReported: the provider's word and what it means.
ALTER TABLE delivery_log ADD COLUMN provider_status text;
ALTER TABLE delivery_log ADD COLUMN delivery text
    CHECK (delivery IN ('delivered', 'not_delivered', 'pending'));
CREATE INDEX delivery_log_by_guardian ON delivery_log (district_id, guardian_id, at);

-- Sender state (operational, not a projection) --------------------------------------

-- Delivery reports by provider message id. A provider may call back before the
-- sender has recorded the id it answered with; the report waits here and is
-- published when the send is recorded.
CREATE TABLE sms_reports (
    provider_id  text        NOT NULL,
    status       text        NOT NULL,
    provider     text        NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, status)
);
