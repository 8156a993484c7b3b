-- Attachment content that travelled with statements (multipart/mixed), by SHA-2,
-- sealed under the key of the actor whose statement carried it, so the student's
-- erasure (which destroys the key and deletes the rows) leaves nothing readable.
-- Command-side state, as xapi_ingested: it is not on the log, replay leaves it alone.
CREATE TABLE xapi_attachments (
    district_id   text        NOT NULL,
    identity      text        NOT NULL,
    sha2          text        NOT NULL,
    content_type  text        NOT NULL,
    content       text        NOT NULL,  -- EncryptedValue JSON
    stored        timestamptz NOT NULL,
    PRIMARY KEY (district_id, identity, sha2)
);
CREATE INDEX xapi_attachments_by_hash ON xapi_attachments (district_id, sha2);
