-- notify-svc: settling sends whose outcome is unknown. A send keeps the reference the
-- provider was given (a digest's rows share one), its template, when its request went
-- out, since when its outcome has been unknown, and how often settling sent it again.

-- Sender state (operational, not a projection) --------------------------------------

ALTER TABLE deliveries ADD COLUMN message_ref uuid;
ALTER TABLE deliveries ADD COLUMN sending_at timestamptz;
ALTER TABLE deliveries ADD COLUMN template text;
ALTER TABLE deliveries ADD COLUMN unknown_since timestamptz;
ALTER TABLE deliveries ADD COLUMN resends integer NOT NULL DEFAULT 0;
CREATE INDEX deliveries_unknown ON deliveries (unknown_since) WHERE state = 'unknown';
