-- When each competency was first mastered (the time of the evidence that took the
-- estimate over the threshold), for "mastered over time" views. Rows mastered before
-- this column existed take their last update time until a replay rebuilds them.
ALTER TABLE mastery ADD COLUMN mastered_at timestamptz;
UPDATE mastery SET mastered_at = updated_at WHERE mastered;
