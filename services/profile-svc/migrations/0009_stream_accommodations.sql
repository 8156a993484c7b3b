-- A student's stream state now keeps the plan's accommodation codes and sealed
-- details (StreamState.requirements / accommodation_details), so a roster sync can
-- change the codes and keep the details. States stored before learn them from the
-- projected profile where it has caught up with the stream (same version); the
-- others are marked unknown (null), and a roster sync leaves their accommodations
-- alone and says so, until they are set once through the profile.
UPDATE student_streams s
   SET state = s.state || jsonb_build_object(
           'requirements', to_jsonb(p.accommodation_requirements),
           'accommodation_details', p.accommodation_details)
  FROM students p
 WHERE p.district_id = s.district_id AND p.student_id = s.student_id
   AND p.version = s.version AND NOT s.state ? 'requirements';
UPDATE student_streams
   SET state = state || '{"requirements": null}'::jsonb
 WHERE NOT state ? 'requirements';
