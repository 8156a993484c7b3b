-- notify-svc: more triggers (rules.json), guardians' schedule preferences, and
-- sender holds (quiet hours, digests, scheduled summaries) that wait for a time.

-- Projection "planning" ----------------------------------------------------------

ALTER TABLE causes DROP CONSTRAINT causes_kind_check;
ALTER TABLE causes ADD CONSTRAINT causes_kind_check
    CHECK (kind IN ('competency_mastered', 'path_changed', 'support_needed', 'weekly_summary'));
ALTER TABLE causes ALTER COLUMN competency_id DROP NOT NULL;
ALTER TABLE causes ALTER COLUMN evidence_id DROP NOT NULL;
-- What the message needs besides the competency: e.g. the competencies that moved
-- to tutoring, the support reason, the week a summary covers. Never personal data.
ALTER TABLE causes ADD COLUMN detail jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Preferences from ContactPreferencesChanged; null means the defaults (UTC, no quiet
-- hours, instant on every channel).
ALTER TABLE guardians ADD COLUMN time_zone text;
ALTER TABLE guardians ADD COLUMN quiet_hours jsonb;
ALTER TABLE guardians ADD COLUMN frequency jsonb;

-- The latest path version per student and the competencies it teaches one-on-one,
-- so a replan can be compared with the one before it.
CREATE TABLE paths (
    student_id  text    PRIMARY KEY,
    version     integer NOT NULL,
    tutoring    text[]  NOT NULL
);

-- Sender state ----------------------------------------------------------------------

ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('claimed', 'held', 'sending', 'sent', 'unknown', 'failed', 'dead',
                     'suppressed'));
-- Why a 'held' row waits: 'quiet_hours', 'digest' or 'scheduled'.
ALTER TABLE deliveries ADD COLUMN hold_reason text;
CREATE INDEX deliveries_held ON deliveries (next_attempt_at) WHERE state = 'held';

-- Students erased (SubjectErased): facts about them arriving later on the path
-- topic are not planned, in whatever order replay interleaves the topics.
CREATE TABLE erased_students (
    student_id  text PRIMARY KEY
);
