-- The LRS's document resources (xAPI 1.0.3 State, Activity Profile, Agent
-- Profile): a learner's place in content, not evidence, so kept here and never on
-- the log. Not a projection: replay leaves it alone, like ingested. A document
-- about an agent (state, agent profile) is sealed under that agent's stored key
-- (kind xapi-agent), so the student's erasure, which destroys the key and deletes
-- the rows, leaves nothing readable.
CREATE TABLE xapi_documents (
    district_id   text        NOT NULL,
    resource      text        NOT NULL
                  CHECK (resource IN ('state', 'activity_profile', 'agent_profile')),
    activity_id   text        NOT NULL DEFAULT '',
    identity      text        NOT NULL DEFAULT '',  -- the agent's identity digest
    registration  text        NOT NULL DEFAULT '',
    document_id   text        NOT NULL,
    content_type  text        NOT NULL,
    content       bytea       NOT NULL,  -- sealed (EncryptedValue JSON) when identity <> ''
    etag          text        NOT NULL,
    updated       timestamptz NOT NULL,
    PRIMARY KEY (district_id, resource, activity_id, identity, registration, document_id)
);
CREATE INDEX xapi_documents_by_identity ON xapi_documents (district_id, identity)
    WHERE identity <> '';
