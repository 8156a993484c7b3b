-- Filtered statement queries (agent, verb, activity, registration) read an index
-- in the order they answer, newest first, instead of scanning the district.
CREATE INDEX statements_by_agent ON statements (district_id, agent, stored, statement_id);
CREATE INDEX statements_by_verb ON statements (district_id, verb, stored, statement_id);
CREATE INDEX statements_by_activity ON statements (district_id, activity, stored, statement_id);
CREATE INDEX statements_by_registration ON statements (district_id, registration, stored, statement_id)
    WHERE registration IS NOT NULL;

-- X-Experience-API-Consistent-Through asks for the oldest statement the statements
-- projection has not applied yet; a flag the projection sets (with a partial index)
-- answers that without reading every statement ever accepted.
ALTER TABLE xapi_ingested ADD COLUMN projected boolean NOT NULL DEFAULT false;
UPDATE xapi_ingested i SET projected = true
 WHERE EXISTS (SELECT 1 FROM statements s WHERE s.statement_id = i.statement_id);
CREATE INDEX xapi_ingested_pending ON xapi_ingested (district_id, stored) WHERE NOT projected;
