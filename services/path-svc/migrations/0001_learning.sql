-- The learning projection: per-competency mastery estimates and each student's
-- current path. Written only by the `learning` projection from assessment.events.v1.

CREATE TABLE mastery (
    student_id     text             NOT NULL,
    competency_id  text             NOT NULL,
    -- District of the latest evidence; API reads are scoped to the caller's district.
    district_id    text             NOT NULL,
    p_mastery      double precision NOT NULL CHECK (p_mastery BETWEEN 0 AND 1),
    attempts       integer          NOT NULL CHECK (attempts >= 0),
    -- Sticky: set when the estimate first reached the threshold.
    mastered       boolean          NOT NULL,
    -- Event time of the latest evidence, never the wall clock (replay compares rows).
    updated_at     timestamptz      NOT NULL,
    PRIMARY KEY (student_id, competency_id)
);

CREATE TABLE paths (
    student_id   text        PRIMARY KEY,
    district_id  text        NOT NULL,
    version      integer     NOT NULL CHECK (version >= 1),
    steps        jsonb       NOT NULL,
    updated_at   timestamptz NOT NULL
);
