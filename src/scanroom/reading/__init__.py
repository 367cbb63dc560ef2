"""Reading room: cases read by trainees, lesion-marking scores and observer-performance statistics."""
