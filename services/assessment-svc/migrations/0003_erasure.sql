-- An erased student, and the identity digests they answered to, so that facts
-- about them that a replay (or a late delivery) brings after the erasure are
-- skipped instead of stored again. Keyed by (district, student).
CREATE TABLE erased_students (
    district_id text        NOT NULL,
    student_id  text        NOT NULL,
    identities  text[]      NOT NULL,
    erased_at   timestamptz NOT NULL,
    PRIMARY KEY (district_id, student_id)
);
CREATE INDEX erased_students_identities ON erased_students USING gin (identities);
