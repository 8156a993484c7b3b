-- Every row about a student, guardian or teacher is keyed by (district, id): an event
-- of one district can never reach, move or overwrite another district's row, even
-- under a student or guardian id both use. Tables that had no district learn it
-- from the rows of the same student that did: the enrolment first, then the facts,
-- the sender's rows, the delivery log and the numbers texted.

CREATE TEMPORARY TABLE district_of ON COMMIT DROP AS
SELECT DISTINCT ON (student_id) student_id, district_id
  FROM (SELECT student_id, district_id, 1 AS rank FROM students
        UNION ALL SELECT student_id, district_id, 2 FROM causes
        UNION ALL SELECT student_id, district_id, 3 FROM deliveries
        UNION ALL SELECT student_id, district_id, 4 FROM delivery_log
        UNION ALL SELECT student_id, district_id, 5 FROM sms_recipients) known
 ORDER BY student_id, rank, district_id;

ALTER TABLE students DROP CONSTRAINT students_pkey, ADD PRIMARY KEY (district_id, student_id);

-- Guardians, teachers and paths no row places in a district could never be matched
-- with a fact again (facts carry their district); the profile and path logs still
-- hold them, and a replay of the planning projection rebuilds them with it.
ALTER TABLE guardians ADD COLUMN district_id text;
UPDATE guardians g SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = g.student_id;
DELETE FROM guardians WHERE district_id IS NULL;
ALTER TABLE guardians ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT guardians_pkey, ADD PRIMARY KEY (district_id, student_id, guardian_id);

ALTER TABLE teachers ADD COLUMN district_id text;
UPDATE teachers t SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = t.student_id;
DELETE FROM teachers WHERE district_id IS NULL;
ALTER TABLE teachers ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT teachers_pkey, ADD PRIMARY KEY (district_id, student_id, teacher_id);

ALTER TABLE paths ADD COLUMN district_id text;
UPDATE paths p SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = p.student_id;
DELETE FROM paths WHERE district_id IS NULL;
ALTER TABLE paths ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT paths_pkey, ADD PRIMARY KEY (district_id, student_id);

-- A fact keeps its event's id (one per event); it is found by (district, student).
DROP INDEX causes_by_student;
CREATE INDEX causes_by_student ON causes (district_id, student_id, occurred_at);
-- Planning finds whether a weekly summary was delivered under its district-less id.
CREATE INDEX deliveries_by_cause ON deliveries (district_id, cause_event_id);

-- A planned notification is in its fact's district; every one has its fact (both are
-- written, and erased, together), so none is left without one.
ALTER TABLE notifications ADD COLUMN district_id text;
UPDATE notifications n SET district_id = c.district_id FROM causes c
 WHERE c.cause_event_id = n.cause_event_id;
DELETE FROM notifications WHERE district_id IS NULL;
ALTER TABLE notifications ALTER COLUMN district_id SET NOT NULL;
DROP INDEX notifications_by_guardian;
CREATE INDEX notifications_by_guardian ON notifications (district_id, student_id, guardian_id);

DROP INDEX delivery_log_by_student;
CREATE INDEX delivery_log_by_student ON delivery_log (district_id, student_id, at);

ALTER TABLE sms_recipients DROP CONSTRAINT sms_recipients_pkey,
    ADD PRIMARY KEY (phone_hash, district_id, student_id, guardian_id);

-- Tombstones are never dropped: an erased student's facts must stay unplanned. An
-- erased student has no rows left to say their district, and a guardian's may not;
-- such a tombstone is kept in every district this database knows, which is what it
-- meant before (no district told anything about that id). Only a database that
-- knows no district at all (so no family either) loses such a tombstone.
CREATE TEMPORARY TABLE districts ON COMMIT DROP AS
SELECT DISTINCT district_id FROM district_of;

ALTER TABLE erased_students ADD COLUMN district_id text,
    DROP CONSTRAINT erased_students_pkey;
INSERT INTO erased_students (student_id, district_id)
SELECT e.student_id, k.district_id FROM erased_students e CROSS JOIN districts k
 WHERE e.district_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM district_of d WHERE d.student_id = e.student_id);
UPDATE erased_students e SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = e.student_id AND e.district_id IS NULL;
DELETE FROM erased_students WHERE district_id IS NULL;
ALTER TABLE erased_students ALTER COLUMN district_id SET NOT NULL,
    ADD PRIMARY KEY (district_id, student_id);

ALTER TABLE erased_guardians ADD COLUMN district_id text,
    DROP CONSTRAINT erased_guardians_pkey;
INSERT INTO erased_guardians (student_id, guardian_id, district_id)
SELECT e.student_id, e.guardian_id, k.district_id FROM erased_guardians e CROSS JOIN districts k
 WHERE e.district_id IS NULL
   AND NOT EXISTS (SELECT 1 FROM district_of d WHERE d.student_id = e.student_id);
UPDATE erased_guardians e SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = e.student_id AND e.district_id IS NULL;
DELETE FROM erased_guardians WHERE district_id IS NULL;
ALTER TABLE erased_guardians ALTER COLUMN district_id SET NOT NULL,
    ADD PRIMARY KEY (district_id, student_id, guardian_id);
