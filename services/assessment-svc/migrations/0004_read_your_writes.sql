-- The LRS reads its own writes: a statement is served from here (sealed, as on the
-- log) from the moment it is accepted, before the statements projection has it;
-- voids names the statement a voiding statement voids, so voiding holds here too.
ALTER TABLE xapi_ingested ADD COLUMN statement text, ADD COLUMN voids uuid;
CREATE INDEX xapi_ingested_voids ON xapi_ingested (district_id, voids) WHERE voids IS NOT NULL;
