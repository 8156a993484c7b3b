-- notify-svc: the student's teachers (TeachersAssigned on profile.events.v1) as a
-- second audience: support alerts go to them as well as to the guardians.

-- Projection "planning" ----------------------------------------------------------

-- The current teachers of each student, from the latest full set on the log. The
-- address stays sealed with the teacher's key. reachable_since: event time since
-- which the teacher has been assigned with an address, without a break.
CREATE TABLE teachers (
    student_id       text        NOT NULL,
    teacher_id       text        NOT NULL,
    email            jsonb,
    assigned_at      timestamptz NOT NULL,
    reachable_since  timestamptz,
    PRIMARY KEY (student_id, teacher_id)
);

-- Whom a notification addresses; guardian_id then names the recipient (a teacher id
-- for 'teachers').
ALTER TABLE notifications ADD COLUMN audience text NOT NULL DEFAULT 'guardians'
    CHECK (audience IN ('guardians', 'teachers'));
