-- Districts' own frameworks, as projections of the log (`frameworks` consumer,
-- path.events.v1): every FrameworkPublished whole, and which one each district
-- plans over. A district without a row plans over the bundled default.

CREATE TABLE frameworks (
    district_id  text        NOT NULL,
    digest       text        NOT NULL,
    name         text        NOT NULL,
    version      text        NOT NULL,
    -- The FrameworkPublished event: competencies, parameters, associations.
    event        jsonb       NOT NULL,
    -- Offset in the district's partition: the order of publication.
    position     bigint      NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (district_id, digest)
);

CREATE TABLE district_frameworks (
    district_id    text        PRIMARY KEY,
    digest         text        NOT NULL,
    name           text        NOT NULL,
    version        text        NOT NULL,
    -- Offset of the DistrictFrameworkChanged in the district's partition.
    position       bigint      NOT NULL,
    cause_event_id uuid        NOT NULL,
    changed_at     timestamptz NOT NULL
);
