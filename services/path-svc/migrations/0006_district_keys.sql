-- Every row is keyed by (district, student): an event of one district can never
-- reach, move or overwrite another district's row, even under a student id both use.
-- Tables that had no district learn it from the rows of the same student that did.

ALTER TABLE mastery DROP CONSTRAINT mastery_pkey,
    ADD PRIMARY KEY (district_id, student_id, competency_id);
ALTER TABLE paths DROP CONSTRAINT paths_pkey, ADD PRIMARY KEY (district_id, student_id);
ALTER TABLE learners DROP CONSTRAINT learners_pkey, ADD PRIMARY KEY (district_id, student_id);
ALTER TABLE planners DROP CONSTRAINT planners_pkey, ADD PRIMARY KEY (district_id, student_id);

ALTER TABLE evidence ADD COLUMN district_id text;
UPDATE evidence e SET district_id = m.district_id
  FROM (SELECT DISTINCT ON (student_id) student_id, district_id FROM mastery
         ORDER BY student_id, updated_at) m
 WHERE m.student_id = e.student_id;
-- Evidence is stored with its estimate in one transaction, so none is left without one.
DELETE FROM evidence WHERE district_id IS NULL;
ALTER TABLE evidence ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT evidence_pkey, ADD PRIMARY KEY (district_id, student_id, assessment_id);
DROP INDEX evidence_by_competency;
CREATE INDEX evidence_by_competency ON evidence (district_id, student_id, competency_id);

ALTER TABLE path_history ADD COLUMN district_id text;
UPDATE path_history h SET district_id = p.district_id FROM paths p
 WHERE p.student_id = h.student_id;
DELETE FROM path_history WHERE district_id IS NULL;
ALTER TABLE path_history ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT path_history_pkey, ADD PRIMARY KEY (district_id, student_id, version);

-- A tombstone's district is the one whose access rows the same erasure closed.
ALTER TABLE erased_students ADD COLUMN district_id text;
UPDATE erased_students e SET district_id = a.district_id FROM student_access a
 WHERE a.student_id = e.student_id AND a.erased;
DELETE FROM erased_students WHERE district_id IS NULL;
ALTER TABLE erased_students ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT erased_students_pkey, ADD PRIMARY KEY (district_id, student_id);
