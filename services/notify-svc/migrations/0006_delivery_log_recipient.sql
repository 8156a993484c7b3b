-- Whom each logged notification addressed: a guardian, or a teacher (staff alerts).
-- A guardian's log and a family's records export show only guardians' notifications.
ALTER TABLE delivery_log ADD COLUMN recipient text NOT NULL DEFAULT 'guardian';
