"""The write side: each student is one event stream, appended through the outbox
(enrollment, guardians, the learner profile, teachers, roster imports)."""
