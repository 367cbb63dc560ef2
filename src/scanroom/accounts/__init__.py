"""People and access: password hashing, sessions, throttling, CSRF, users, cohorts and enrolments."""
