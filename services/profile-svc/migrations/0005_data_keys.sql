-- Data keys per (district, kind, subject): subject_keys was keyed by subject id
-- alone, so two districts' "g-1" (or a student and a guardian with one id)
-- shared a key, and erasing one destroyed the other's. Kids are random now;
-- old ones keep working because they move over with the key they name.
CREATE TABLE data_keys (
    district_id text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('student', 'guardian', 'teacher')),
    subject_id  text        NOT NULL,
    kid         text        NOT NULL UNIQUE,
    wrapped     bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (district_id, kind, subject_id)
);

-- A shared old key goes to the first (district, kind) found that holds the id;
-- the others get fresh keys for what they seal from now on.
INSERT INTO data_keys (district_id, kind, subject_id, kid, wrapped, created_at)
SELECT DISTINCT ON (k.kid) o.district_id, o.kind, k.subject_id, k.kid, k.wrapped, k.created_at
  FROM subject_keys k
  JOIN (SELECT district_id, 'student' AS kind, student_id AS subject_id, 1 AS rank
          FROM student_streams
        UNION ALL
        SELECT DISTINCT s.district_id, 'guardian', g.guardian_id, 2
          FROM guardians g JOIN student_streams s USING (student_id)
        UNION ALL
        SELECT district_id, 'teacher', teacher_id, 3 FROM teachers) AS o
    ON o.subject_id = k.subject_id
 ORDER BY k.kid, o.rank, o.district_id
ON CONFLICT DO NOTHING;

DROP TABLE subject_keys;
