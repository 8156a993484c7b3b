-- notify-svc: who may hear about what (projections of profile, path and its own
-- topic) and the sender's operational state (deliveries, not rebuilt by replay).

-- Projection "planning" (profile.events.v1 + path.events.v1) -------------------

CREATE TABLE students (
    student_id   text PRIMARY KEY,
    district_id  text NOT NULL
);

-- One row per (student, guardian) link, in the latest state the profile log gave it.
-- Contact details stay encrypted with the guardian's key (EncryptedValue JSON).
CREATE TABLE guardians (
    student_id          text        NOT NULL,
    guardian_id         text        NOT NULL,
    relationship        text        NOT NULL,
    educational_rights  boolean     NOT NULL,
    language            text        NOT NULL,
    email               jsonb,
    phone               jsonb,
    consent             jsonb       NOT NULL,
    linked_at           timestamptz NOT NULL,
    -- Event time since which the guardian has been reachable by email without a
    -- break (rights + email consent + an address); null while they are not.
    eligible_since      timestamptz,
    PRIMARY KEY (student_id, guardian_id)
);

-- Facts a guardian is told about.
CREATE TABLE causes (
    cause_event_id  uuid        PRIMARY KEY,
    student_id      text        NOT NULL,
    district_id     text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('competency_mastered')),
    competency_id   text        NOT NULL,
    evidence_id     uuid        NOT NULL,
    occurred_at     timestamptz NOT NULL
);
CREATE INDEX causes_by_student ON causes (student_id, occurred_at);

-- Planned notifications: a pure function of the current guardians and causes.
CREATE TABLE notifications (
    notification_id  uuid        PRIMARY KEY,
    cause_event_id   uuid        NOT NULL,
    student_id       text        NOT NULL,
    guardian_id      text        NOT NULL,
    channel          text        NOT NULL,
    planned_at       timestamptz NOT NULL,
    UNIQUE (cause_event_id, guardian_id, channel)
);
CREATE INDEX notifications_by_guardian ON notifications (student_id, guardian_id);
CREATE INDEX notifications_by_plan ON notifications (planned_at);

-- Projection "delivery_log" (notify.events.v1) --------------------------------

CREATE TABLE delivery_log (
    notification_id  uuid        PRIMARY KEY,
    student_id       text        NOT NULL,
    district_id      text        NOT NULL,
    guardian_id      text        NOT NULL,
    channel          text        NOT NULL,
    cause_event_id   uuid        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('sent', 'failed', 'suppressed')),
    template         text,
    attempt          integer,
    final            boolean     NOT NULL,
    error            text,
    at               timestamptz NOT NULL
);
CREATE INDEX delivery_log_by_student ON delivery_log (student_id, at);

-- Sender state (operational, not a projection) --------------------------------

CREATE TABLE deliveries (
    notification_id  uuid        PRIMARY KEY,
    student_id       text        NOT NULL,
    district_id      text        NOT NULL,
    guardian_id      text        NOT NULL,
    channel          text        NOT NULL,
    cause_event_id   uuid        NOT NULL,
    state            text        NOT NULL
                     CHECK (state IN ('claimed', 'sending', 'sent', 'unknown', 'failed', 'dead')),
    attempts         integer     NOT NULL,
    last_error       text,
    next_attempt_at  timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'failed';
