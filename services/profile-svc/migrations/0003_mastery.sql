-- Projection "mastery" (from path.events.v1, and profile.events.v1 for erasure):
-- each student's current estimate per competency, shown with the profile.
CREATE TABLE mastery (
    student_id    text NOT NULL,
    competency_id text NOT NULL,
    p_mastery     double precision NOT NULL,
    level         text,
    mastered      boolean NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (student_id, competency_id)
);

-- Students erased so far, as a keyless digest of the id (never the id): the
-- path topic is read independently of the profile topic, so a path event can
-- arrive after the erasure; this is what keeps it out, in any order of replay.
CREATE TABLE erased_students (
    digest text PRIMARY KEY
);
