"""The Pathwise web portal: teachers, families and students see paths, mastery and alerts."""
