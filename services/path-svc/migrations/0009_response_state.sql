-- The next-answer model's state per student (ability, learning offset, recency per
-- competency): a few numbers per student and competency, never the history. Written
-- only by the `learning` projection in log order, so replay rebuilds it exactly.
CREATE TABLE response_state (
    district_id  text  NOT NULL,
    student_id   text  NOT NULL,
    state        jsonb NOT NULL,
    PRIMARY KEY (district_id, student_id)
);
