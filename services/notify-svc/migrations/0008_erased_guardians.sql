-- Guardians erased (SubjectErased, kind guardian), per student link: the
-- delivery log keeps that a message went out, but no longer to whom, live and
-- on replay.
CREATE TABLE erased_guardians (
    student_id  text NOT NULL,
    guardian_id text NOT NULL,
    PRIMARY KEY (student_id, guardian_id)
);
