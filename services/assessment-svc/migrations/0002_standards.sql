-- Command side of the standards front door (written by HTTP commands and the
-- ingest worker, never by a projection).

-- Each xAPI statement id once: its content digest decides duplicate vs conflict.
CREATE TABLE xapi_ingested (
    statement_id  uuid PRIMARY KEY,
    district_id   text NOT NULL,
    fingerprint   text NOT NULL,
    identity      text NOT NULL,
    assessment_id uuid,
    voiding       boolean NOT NULL,
    stored        timestamptz NOT NULL
);

-- What districts loaded: an activity / line item / objective -> a competency.
CREATE TABLE competency_map (
    district_id   text NOT NULL,
    kind          text NOT NULL,
    ref           text NOT NULL,
    competency_id text NOT NULL,
    max_score     double precision,
    PRIMARY KEY (district_id, kind, ref)
);

-- Native batches: the same Idempotency-Key returns the first answer.
CREATE TABLE idempotency_keys (
    district_id text NOT NULL,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    response    jsonb NOT NULL,
    PRIMARY KEY (district_id, key)
);

-- Projection "statements" (from assessment.events.v1): the LRS's statements.
CREATE TABLE statements (
    statement_id       uuid PRIMARY KEY,
    district_id        text NOT NULL,
    statement          jsonb NOT NULL,
    verb               text NOT NULL,
    activity           text,
    agent              text NOT NULL,
    related_agents     text[] NOT NULL,
    related_activities text[] NOT NULL,
    registration       uuid,
    voids              uuid,
    stored             timestamptz NOT NULL,
    "timestamp"        timestamptz NOT NULL,
    voided             boolean NOT NULL DEFAULT false
);
CREATE INDEX statements_by_stored ON statements (district_id, stored, statement_id);
CREATE INDEX statements_by_voids ON statements (voids) WHERE voids IS NOT NULL;

-- Projection "intake" (from assessment.events.v1 and profile.events.v1).
CREATE TABLE identities (
    district_id text NOT NULL,
    identity    text NOT NULL,
    student_id  text NOT NULL,
    PRIMARY KEY (district_id, identity, student_id)
);
CREATE TABLE parked (
    assessment_id uuid PRIMARY KEY,
    district_id   text NOT NULL,
    identity      text NOT NULL,
    result        jsonb NOT NULL,
    submitted_at  timestamptz NOT NULL,
    void_reason   text,
    voided_at     timestamptz
);
CREATE INDEX parked_by_identity ON parked (district_id, identity);
CREATE TABLE resolved (
    assessment_id uuid PRIMARY KEY,
    student_id    text NOT NULL
);
CREATE TABLE unmapped (
    assessment_id uuid PRIMARY KEY,
    district_id   text NOT NULL,
    source        text NOT NULL,
    source_id     text NOT NULL,
    activity      text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    submitted_at  timestamptz NOT NULL,
    voided        boolean NOT NULL DEFAULT false
);
CREATE INDEX unmapped_by_activity ON unmapped (district_id, activity);
