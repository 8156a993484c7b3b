-- evidence is read only per student (a void re-runs the student's remaining evidence),
-- which the primary key (district_id, student_id, assessment_id) already serves; the
-- per-competency index only cost every result one more index insert.
DROP INDEX IF EXISTS evidence_by_competency;
