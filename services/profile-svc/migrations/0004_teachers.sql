-- profile-svc: teachers' email addresses (from the roster or an admin) and what the
-- log was last told about each student's teachers (TeachersAssigned).

-- A teacher's address, sealed with the teacher's own stored key (subject_keys), so
-- erasing the teacher makes it unreadable everywhere. The digest (keyed, never the
-- address) tells whether a new address is the same without opening the old one.
CREATE TABLE teachers (
    district_id   text NOT NULL,
    teacher_id    text NOT NULL,
    email         jsonb,
    email_digest  text,
    PRIMARY KEY (district_id, teacher_id)
);

-- The teacher set last published per student: a fingerprint of (teacher, address
-- digest) pairs, and how many sets were published, which names the next event id.
CREATE TABLE student_teachers (
    student_id   text    PRIMARY KEY,
    district_id  text    NOT NULL,
    fingerprint  text    NOT NULL,
    seq          integer NOT NULL
);
