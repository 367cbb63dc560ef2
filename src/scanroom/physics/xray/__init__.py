"""X-ray radiography physics core."""
