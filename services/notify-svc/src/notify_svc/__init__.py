"""notify-svc: tells guardians about their student's progress, exactly once per fact."""
