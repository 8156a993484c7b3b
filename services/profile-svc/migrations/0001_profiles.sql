-- Command side: one row per student stream, so a re-posted enrollment is
-- recognised (same fingerprint) or refused (different data). The fingerprint
-- is a keyed digest: it never holds personal data in a reversible form.
CREATE TABLE student_streams (
    student_id  text PRIMARY KEY,
    district_id text NOT NULL,
    version     int  NOT NULL,
    fingerprint text NOT NULL
);

-- Projection "profiles" (from profile.events.v1): rebuilt by replay.
-- Personal data stays as EncryptedValue JSON; it is decrypted only to answer.
CREATE TABLE students (
    student_id   text PRIMARY KEY,
    district_id  text NOT NULL,
    school_id    text,
    grade        text,
    section_ids  text[] NOT NULL,
    display_name jsonb,
    enrolled_at  timestamptz NOT NULL
);

CREATE TABLE guardians (
    student_id         text NOT NULL,
    guardian_id        text NOT NULL,
    relationship       text NOT NULL,
    educational_rights boolean NOT NULL,
    language           text NOT NULL,
    email              jsonb,
    phone              jsonb,
    consent            jsonb NOT NULL,
    linked_at          timestamptz NOT NULL,
    PRIMARY KEY (student_id, guardian_id)
);
