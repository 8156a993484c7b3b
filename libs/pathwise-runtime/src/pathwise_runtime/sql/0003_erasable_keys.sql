-- Per-subject data keys a service seals its own personal data with (an LRS's
-- statements, a teacher's notes): erasing the subject deletes the row, and
-- what was sealed under it, in the tables and on Kafka, is noise from then on.
-- Key custody, not a projection: replay does not rebuild it (pathwise_runtime.keystore).
CREATE TABLE erasable_keys (
    district_id text        NOT NULL,
    kind        text        NOT NULL,
    subject_id  text        NOT NULL,
    kid         text        NOT NULL UNIQUE,
    wrapped     bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_id, kind, subject_id)
);
