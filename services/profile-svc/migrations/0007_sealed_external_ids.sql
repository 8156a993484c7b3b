-- A student's ids in other systems travel sealed with the student's key
-- (StudentEnrolled.sealed_external_ids); the projection keeps them sealed and
-- opens them to answer a request. external_ids keeps what older events carried in clear.
ALTER TABLE students ADD COLUMN external_ids_sealed jsonb;
