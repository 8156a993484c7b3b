-- Who may read a student now lives in the runtime's student_access (teachers
-- and rights-holding guardians, keyed by district); the old table knew only
-- guardians, by student id alone.
DROP TABLE guardians;
