-- The next-answer state as arrays, not a JSON document: the learning projection writes
-- every touched student's state each batch, and float8[] travels and is stored in
-- binary (no float printed and parsed back, no JSON to check), the same numbers bit
-- for bit. `numbers` holds the student's (ability, learning_offset, answered,
-- recent_overall, overall_fast, overall_slow, last_right), then for each competency of
-- `skills` its (known, recent, recent_fast, recent_slow, attempts, right_run,
-- wrong_run, wins, losses, seen_at): `domain.response.pack`. Fields an older document
-- lacks take their defaults, as `response.load` gave them.
ALTER TABLE response_state
    ADD COLUMN numbers float8[],
    ADD COLUMN last_skill text,
    ADD COLUMN skills text[];

UPDATE response_state SET
    numbers = ARRAY[
        coalesce((state->>'ability')::float8, 0),
        coalesce((state->>'learning_offset')::float8, 0),
        coalesce((state->>'answered')::float8, 0),
        coalesce((state->>'recent_overall')::float8, 0),
        coalesce((state->>'overall_fast')::float8, 0),
        coalesce((state->>'overall_slow')::float8, 0),
        coalesce((state->>'last_right')::float8, 0.5)
    ] || coalesce(
        (SELECT array_agg(coalesce((s.vals->>(d.n::int - 1))::float8, d.v)
                          ORDER BY s.code COLLATE "C", d.n)
           FROM jsonb_each(state->'skills') AS s(code, vals),
                unnest('{NULL,NULL,NULL,0.5,0,0,0,0,0,0}'::float8[]) WITH ORDINALITY AS d(v, n)),
        '{}'),
    last_skill = state->>'last_skill',
    skills = coalesce(
        (SELECT array_agg(code ORDER BY code COLLATE "C")
           FROM jsonb_object_keys(state->'skills') AS code),
        '{}');

ALTER TABLE response_state
    DROP COLUMN state,
    ALTER COLUMN numbers SET NOT NULL,
    ALTER COLUMN skills SET NOT NULL;

-- One row of the projection's batch upsert: an array of these is one parameter.
CREATE TYPE response_row AS (
    district_id text,
    student_id  text,
    numbers     float8[],
    last_skill  text,
    skills      text[]
);
