-- Command side -------------------------------------------------------------
-- The aggregate each command decides on: status, sections and guardians'
-- contact state (personal fields sealed), so a command never waits for the
-- projection. Version is the ETag; a stale If-Match is refused.
ALTER TABLE student_streams ADD COLUMN state jsonb NOT NULL DEFAULT '{}';

-- Per-subject data keys (crypto-shredding). `wrapped` is the key sealed with
-- the key-encryption key derived from PATHWISE_PII_KEY; deleting the row makes
-- every ciphertext under `kid` unreadable, in the log too.
CREATE TABLE subject_keys (
    subject_id text PRIMARY KEY,
    kid        text NOT NULL UNIQUE,
    wrapped    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Reference data from the roster (SIS): who teaches which section. Decides
-- what a teacher may see; not a projection of the log.
CREATE TABLE section_teachers (
    district_id text NOT NULL,
    section_id  text NOT NULL,
    teacher_id  text NOT NULL,
    PRIMARY KEY (district_id, section_id, teacher_id)
);
CREATE INDEX section_teachers_by_teacher ON section_teachers (district_id, teacher_id);

-- FERPA record of disclosures: who read or exported which student's record.
CREATE TABLE access_log (
    seq         bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    district_id text NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    student_id  text NOT NULL,
    action      text NOT NULL
);
CREATE INDEX access_log_by_student ON access_log (district_id, student_id, at);

-- Projection "profiles" (from profile.events.v1): rebuilt by replay ----------
ALTER TABLE students
    ADD COLUMN version int NOT NULL DEFAULT 1,
    ADD COLUMN status text NOT NULL DEFAULT 'enrolled',
    ADD COLUMN withdrawn_on date,
    ADD COLUMN withdrawal_reason text,
    ADD COLUMN external_ids jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN strengths text[] NOT NULL DEFAULT '{}',
    ADD COLUMN needs text[] NOT NULL DEFAULT '{}',
    ADD COLUMN interests text[] NOT NULL DEFAULT '{}',
    ADD COLUMN modality_preferred text[] NOT NULL DEFAULT '{}',
    ADD COLUMN modality_avoided text[] NOT NULL DEFAULT '{}',
    ADD COLUMN accommodation_requirements text[] NOT NULL DEFAULT '{}',
    ADD COLUMN accommodation_details jsonb;
CREATE INDEX students_by_school ON students (district_id, school_id, grade);
CREATE INDEX students_by_section ON students USING gin (section_ids);

ALTER TABLE guardians
    ADD COLUMN time_zone text,
    ADD COLUMN quiet_hours jsonb,
    ADD COLUMN frequency jsonb;
CREATE INDEX guardians_by_guardian ON guardians (guardian_id);

CREATE TABLE goals (
    student_id    text NOT NULL,
    goal_id       text NOT NULL,
    competency_ids text[] NOT NULL,
    target_date   date,
    status        text NOT NULL,
    agreed_by     text[] NOT NULL,
    note          jsonb,
    set_at        timestamptz NOT NULL,
    PRIMARY KEY (student_id, goal_id)
);

CREATE TABLE reflections (
    student_id     text NOT NULL,
    reflection_id  text NOT NULL,
    text           jsonb NOT NULL,
    competency_ids text[] NOT NULL,
    confidence     int,
    recorded_at    timestamptz NOT NULL,
    PRIMARY KEY (student_id, reflection_id)
);

-- Consent and opt-out history per guardian and channel, with source and time.
CREATE TABLE consent_history (
    event_id    uuid PRIMARY KEY,
    student_id  text NOT NULL,
    guardian_id text NOT NULL,
    channel     text NOT NULL,
    granted     boolean NOT NULL,
    source      text NOT NULL,
    given_at    timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX consent_history_by_guardian ON consent_history (student_id, guardian_id, given_at);
