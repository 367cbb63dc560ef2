"""Practice in the scan room: running a trainee's acquisition, keeping its images and its history."""
