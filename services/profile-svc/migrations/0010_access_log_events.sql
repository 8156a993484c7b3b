-- The access log becomes projection "access_log" (from the four <service>.access.v1
-- topics, and profile.events.v1 for erasure): one record of disclosures for every
-- service's reads of a student, rebuilt by replay. Entries written before reads were
-- events have no event id; a rebuild from the log does not bring them back.
ALTER TABLE access_log
    ADD COLUMN event_id           uuid,
    ADD COLUMN service            text NOT NULL DEFAULT 'profile-svc',
    ADD COLUMN section            text,
    ADD COLUMN endpoint           text,
    ADD COLUMN purpose            text NOT NULL DEFAULT 'record-read',
    ADD COLUMN principal_district text,
    ADD COLUMN export_id          uuid;
CREATE UNIQUE INDEX access_log_by_event ON access_log (event_id);
-- Order is (at, event_id) now: a serial number would differ between the live table
-- and one rebuilt from the log, which must be equal row for row.
ALTER TABLE access_log DROP COLUMN seq;

-- Students erased, per district, as a keyless digest of the id (never the id): the
-- access topics are read independently of the profile topic, so a read can arrive
-- after the erasure; this keeps it out, in any order of replay.
CREATE TABLE access_log_erased (
    district_id text NOT NULL,
    digest      text NOT NULL,
    PRIMARY KEY (district_id, digest)
);
