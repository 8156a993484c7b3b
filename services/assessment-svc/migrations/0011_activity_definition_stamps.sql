-- Each property of a canonical Activity definition remembers the statement that gave
-- it ([stored|statement id, value]), so the latest wins whatever order partitions are
-- applied in: live and replay agree.
ALTER TABLE xapi_activities ADD COLUMN stamps jsonb NOT NULL DEFAULT '{}';
