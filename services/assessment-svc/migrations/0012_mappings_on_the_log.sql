-- Competency mappings are on the log (CompetencyMappingsChanged): the projection
-- "intake" rebuilds competency_map from it. A row changes only for a later
-- (changed_at, change_id); change_id is the event that last set it, NULL for a
-- mapping stored before this migration and not yet queued (the service queues
-- those once at startup).
ALTER TABLE competency_map ADD COLUMN changed_at timestamptz, ADD COLUMN change_id uuid;
-- An unmapped result keeps what it needs to be recorded when its mapping arrives
-- (a voided one is recorded and voided, as it would have been had the mapping come
-- first); results held before this migration learn it on the next replay.
ALTER TABLE unmapped ADD COLUMN identity text, ADD COLUMN result jsonb,
    ADD COLUMN void_reason text, ADD COLUMN voided_at timestamptz;
CREATE INDEX unmapped_by_identity ON unmapped (district_id, identity);
