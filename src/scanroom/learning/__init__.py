"""Learning: activity, progress, and (later) lessons, items, exams and spaced review."""
