-- Who stands near each student (teachers of their sections, guardians with
-- educational rights), projected from profile.events.v1 by the services that
-- authorise requests about students (pathwise_runtime.access). Keyed by
-- (district, student): an event of one district never touches another's row.
CREATE TABLE student_access (
    district_id  text    NOT NULL,
    student_id   text    NOT NULL,
    teacher_ids  text[]  NOT NULL DEFAULT '{}',
    guardian_ids text[]  NOT NULL DEFAULT '{}',
    erased       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (district_id, student_id)
);
CREATE INDEX student_access_student ON student_access (student_id);
