-- Guardians erased as people, per district: a roster re-import (or an
-- enrolment) that still lists them does not link them again with a new key.
CREATE TABLE erased_guardians (
    district_id text        NOT NULL,
    guardian_id text        NOT NULL,
    erased_at   timestamptz NOT NULL,
    PRIMARY KEY (district_id, guardian_id)
);
