-- Command side: every ingested result and what it said, so a re-sent result
-- is recognised as a duplicate and a re-used (source, source_id) with other
-- content is refused. Written by the HTTP command, never by a projection.
CREATE TABLE ingested (
    assessment_id uuid PRIMARY KEY,
    student_id    text NOT NULL,
    district_id   text NOT NULL,
    fingerprint   text NOT NULL,
    voided        boolean NOT NULL DEFAULT false
);

-- Projection "assessments" (from assessment.events.v1): rebuilt by replay.
CREATE TABLE assessments (
    assessment_id uuid PRIMARY KEY,
    student_id    text NOT NULL,
    district_id   text NOT NULL,
    competency_id text NOT NULL,
    score         double precision NOT NULL,
    max_score     double precision NOT NULL,
    occurred_at   timestamptz NOT NULL,
    source        text NOT NULL,
    source_id     text NOT NULL,
    recorded_at   timestamptz NOT NULL,
    voided        boolean NOT NULL DEFAULT false,
    void_reason   text
);
CREATE INDEX assessments_by_student ON assessments (student_id, occurred_at DESC);
