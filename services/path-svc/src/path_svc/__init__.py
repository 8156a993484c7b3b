"""path-svc: mastery estimates and personalised learning paths, built from assessment evidence."""
