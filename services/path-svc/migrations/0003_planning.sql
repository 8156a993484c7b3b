-- Replanning, learner profiles, voiding and erasure.
--
-- `learning` (assessment.events.v1) keeps every piece of evidence so that a
-- voided result is taken out by re-running the competency's remaining evidence.
-- `learners` (profile.events.v1) keeps the planning-relevant profile and the
-- erased students, and forwards the profile to path.events.v1.
-- `planning` (path.events.v1 only, so one ordered log decides every path)
-- keeps each student's planner state, the current path and the replan history.

CREATE TABLE evidence (
    student_id     text             NOT NULL,
    assessment_id  uuid             NOT NULL,
    competency_id  text             NOT NULL,
    -- Share of the points earned: the observation's weight of "correct".
    fraction       double precision NOT NULL CHECK (fraction BETWEEN 0 AND 1),
    -- Position in the log: the order BKT saw the evidence in.
    log_partition  integer          NOT NULL,
    log_offset     bigint           NOT NULL,
    recorded_at    timestamptz      NOT NULL,
    voided         boolean          NOT NULL DEFAULT false,
    PRIMARY KEY (student_id, assessment_id)
);
CREATE INDEX evidence_by_competency ON evidence (student_id, competency_id);

CREATE TABLE learners (
    student_id    text        PRIMARY KEY,
    district_id   text        NOT NULL,
    -- {"sections": [...], "goals": {goal_id: {...}}, "interests": [...], ...}
    profile       jsonb       NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- Students whose keys were destroyed: every projection drops and ignores them.
CREATE TABLE erased_students (
    student_id  text        PRIMARY KEY,
    erased_at   timestamptz NOT NULL
);

CREATE TABLE planners (
    student_id   text        PRIMARY KEY,
    district_id  text        NOT NULL,
    -- Estimates, profile, modality statistics, overrides and choices (domain.planning).
    state        jsonb       NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE path_history (
    student_id      text        NOT NULL,
    version         integer     NOT NULL CHECK (version >= 1),
    steps           jsonb       NOT NULL,
    added           jsonb       NOT NULL,
    removed         jsonb       NOT NULL,
    reason          text        NOT NULL,
    cause_event_id  uuid        NOT NULL,
    replanned_at    timestamptz NOT NULL,
    PRIMARY KEY (student_id, version)
);
