-- Which student a parked result was released to is kept per district, so a void
-- from one district never reaches a result another district recorded.
ALTER TABLE resolved ADD COLUMN district_id text;
UPDATE resolved r SET district_id = a.district_id FROM assessments a
 WHERE a.assessment_id = r.assessment_id;
UPDATE resolved r SET district_id = i.district_id FROM identities i
 WHERE r.district_id IS NULL AND i.student_id = r.student_id;
-- A release nothing else remembers was of an erased student: nothing left to void.
DELETE FROM resolved WHERE district_id IS NULL;
ALTER TABLE resolved ALTER COLUMN district_id SET NOT NULL,
    DROP CONSTRAINT resolved_pkey, ADD PRIMARY KEY (district_id, assessment_id);
