-- Projection "statements" (from assessment.events.v1): each district's canonical
-- Activity definitions, from the definitions its statements gave (Comm 2.5).
-- Definitions in statements stored before this table learn it on the next replay.
CREATE TABLE xapi_activities (
    district_id text  NOT NULL,
    activity_id text  NOT NULL,
    definition  jsonb NOT NULL,
    PRIMARY KEY (district_id, activity_id)
);
