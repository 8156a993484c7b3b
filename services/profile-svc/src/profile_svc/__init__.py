"""profile-svc: enrolls students, links guardians and keeps their profiles."""
