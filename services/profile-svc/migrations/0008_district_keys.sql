-- Every row is keyed by (district, student): an event of one district can never
-- reach, move or overwrite another district's row, even under a student id both use.
-- Tables that had no district learn it from the student's stream (student_streams:
-- until now one row per student id, written before any event of that student),
-- else from their projected row.

ALTER TABLE student_streams DROP CONSTRAINT student_streams_pkey,
    ADD PRIMARY KEY (district_id, student_id);
ALTER TABLE students DROP CONSTRAINT students_pkey, ADD PRIMARY KEY (district_id, student_id);
ALTER TABLE student_teachers DROP CONSTRAINT student_teachers_pkey,
    ADD PRIMARY KEY (district_id, student_id);

CREATE TEMPORARY TABLE district_of ON COMMIT DROP AS
SELECT DISTINCT ON (student_id) student_id, district_id
  FROM (SELECT student_id, district_id, 1 AS rank FROM student_streams
        UNION ALL
        SELECT student_id, district_id, 2 FROM students) AS known
 ORDER BY student_id, rank;

-- Projection rows of a student no stream or profile row knows are deleted: every
-- event of a student follows their stream's creation, and every read starts from
-- the student's profile, so no read can show them; a replay of the projection
-- rebuilds any such row under its event's district.
ALTER TABLE guardians ADD COLUMN district_id text;
UPDATE guardians t SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = t.student_id;
DELETE FROM guardians WHERE district_id IS NULL;
ALTER TABLE guardians ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT guardians_pkey, ADD PRIMARY KEY (district_id, student_id, guardian_id);
DROP INDEX guardians_by_guardian;
CREATE INDEX guardians_by_guardian ON guardians (district_id, guardian_id);

ALTER TABLE goals ADD COLUMN district_id text;
UPDATE goals t SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = t.student_id;
DELETE FROM goals WHERE district_id IS NULL;
ALTER TABLE goals ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT goals_pkey, ADD PRIMARY KEY (district_id, student_id, goal_id);

ALTER TABLE reflections ADD COLUMN district_id text;
UPDATE reflections t SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = t.student_id;
DELETE FROM reflections WHERE district_id IS NULL;
ALTER TABLE reflections ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT reflections_pkey, ADD PRIMARY KEY (district_id, student_id, reflection_id);

ALTER TABLE consent_history ADD COLUMN district_id text;
UPDATE consent_history t SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = t.student_id;
DELETE FROM consent_history WHERE district_id IS NULL;
ALTER TABLE consent_history ALTER COLUMN district_id SET NOT NULL;
DROP INDEX consent_history_by_guardian;
CREATE INDEX consent_history_by_guardian
    ON consent_history (district_id, student_id, guardian_id, given_at);

ALTER TABLE mastery ADD COLUMN district_id text;
UPDATE mastery t SET district_id = d.district_id FROM district_of d
 WHERE d.student_id = t.student_id;
DELETE FROM mastery WHERE district_id IS NULL;
ALTER TABLE mastery ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT mastery_pkey, ADD PRIMARY KEY (district_id, student_id, competency_id);

-- A tombstone's district is the one whose stream of that id was erased (the digest
-- is of the id alone, and the stream outlives the erasure as status 'erased'). A
-- tombstone no stream explains is never dropped, since a late path event would
-- bring the erased student's mastery back: it stays, once for every known district.
ALTER TABLE erased_students ADD COLUMN district_id text, DROP CONSTRAINT erased_students_pkey;
UPDATE erased_students e SET district_id = s.district_id FROM student_streams s
 WHERE e.digest = encode(sha256(convert_to('pathwise-erased|' || s.student_id, 'UTF8')), 'hex');
INSERT INTO erased_students (digest, district_id)
SELECT e.digest, k.district_id
  FROM erased_students e, (SELECT district_id FROM student_streams
                           UNION SELECT district_id FROM students) AS k
 WHERE e.district_id IS NULL;
DELETE FROM erased_students WHERE district_id IS NULL;
ALTER TABLE erased_students ALTER COLUMN district_id SET NOT NULL,
    ADD PRIMARY KEY (district_id, digest);
