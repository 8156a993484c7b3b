-- notify-svc: SMS as a second channel. Planning learns when a guardian became
-- reachable by text; the sender keeps the provider's id and delivery status, and
-- which numbers said STOP (keyed hashes, never the numbers themselves).

-- Projection "planning" ----------------------------------------------------------

-- Event time since which the guardian has been reachable by SMS without a break
-- (rights + SMS consent + a phone number); null while they are not.
ALTER TABLE guardians ADD COLUMN sms_eligible_since timestamptz;
UPDATE guardians SET sms_eligible_since = linked_at
 WHERE educational_rights AND phone IS NOT NULL AND coalesce((consent ->> 'sms')::boolean, false);

-- Sender state (operational, not a projection) --------------------------------------

-- The provider's message id (status callbacks name it; a digest's rows share one)
-- and the last status it reported.
ALTER TABLE deliveries ADD COLUMN provider_id text;
ALTER TABLE deliveries ADD COLUMN provider_status text;
ALTER TABLE deliveries ADD COLUMN provider_status_at timestamptz;
CREATE INDEX deliveries_by_provider_id ON deliveries (provider_id)
    WHERE provider_id IS NOT NULL;

-- Who was texted at a number (HMAC of the number), so an inbound STOP finds them.
CREATE TABLE sms_recipients (
    phone_hash   text NOT NULL,
    district_id  text NOT NULL,
    student_id   text NOT NULL,
    guardian_id  text NOT NULL,
    PRIMARY KEY (phone_hash, student_id, guardian_id)
);

-- Numbers that replied STOP: nothing more is texted to them until START, whatever
-- the profile's consent says while its change travels back through the log.
CREATE TABLE sms_opt_outs (
    phone_hash  text PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now()
);
