-- A statement id is unique within its district's LRS, not across districts: a
-- statement id district B also uses is B's own statement, never a 409 that tells
-- B that district A holds it, and never A's statement served or voided for B.
ALTER TABLE xapi_ingested DROP CONSTRAINT xapi_ingested_pkey,
    ADD PRIMARY KEY (district_id, statement_id);
ALTER TABLE statements DROP CONSTRAINT statements_pkey,
    ADD PRIMARY KEY (district_id, statement_id);
DROP INDEX statements_by_voids;
CREATE INDEX statements_by_voids ON statements (district_id, voids) WHERE voids IS NOT NULL;
