-- notify-svc: a text keeps what it said. A text names its competency by a title
-- fetched from path-svc, which can change or be unreachable between the send and a
-- later lookup; a provider that is asked by text (Twilio) must be asked with the text
-- as it went out, or a text it has would look missing and be sent twice.

-- Sender state (operational, not a projection) --------------------------------------

ALTER TABLE deliveries ADD COLUMN IF NOT EXISTS body text;
