-- Which guardians may read a student's path and mastery: written only by the
-- `guardianship` projection from GuardianLinked on profile.events.v1.

CREATE TABLE guardians (
    student_id          text        NOT NULL,
    guardian_id         text        NOT NULL,
    district_id         text        NOT NULL,
    educational_rights  boolean     NOT NULL,
    linked_at           timestamptz NOT NULL,
    PRIMARY KEY (student_id, guardian_id)
);
