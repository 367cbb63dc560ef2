"""Classroom rows of the authorisation matrix (see tests/test_authorization_matrix.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.conftest import World

PAGE_ANON = 303
API_ANON = 401

# (anonymous, trainee, instructor, admin). Writes carry a valid CSRF token and an empty body.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/classroom"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/classroom/lessons/{lesson_id}"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/classroom/lessons/{lesson_id}/figures/{name}"): (PAGE_ANON, 404, 404, 404),
    ("POST", "/classroom/lessons/{lesson_id}/facts"): (PAGE_ANON, 303, 303, 303),
    ("GET", "/classroom/items/{item_id}/image.png"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/classroom/practice"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/classroom/practice"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/classroom/review"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/classroom/review/{card_id}"): (PAGE_ANON, 404, 404, 404),
    # exam pages: the trainee's cohort exam; instructors are sent to the results page; the admin too
    ("GET", "/classroom/exams/{exam_id}"): (PAGE_ANON, 200, 303, 303),
    ("POST", "/classroom/exams/{exam_id}/start"): (PAGE_ANON, 303, 404, 404),
    # attempt belongs to trainee2: everyone else gets 404
    ("GET", "/classroom/attempts/{attempt_id}"): (PAGE_ANON, 404, 404, 404),
    ("POST", "/classroom/attempts/{attempt_id}/answer"): (PAGE_ANON, 404, 404, 404),
    ("POST", "/classroom/attempts/{attempt_id}/submit"): (PAGE_ANON, 404, 404, 404),
    ("GET", "/classroom/instructor"): (PAGE_ANON, 403, 200, 200),
    ("POST", "/classroom/instructor/exams"): (PAGE_ANON, 403, 400, 400),
    ("GET", "/classroom/instructor/exams/{exam_id}"): (PAGE_ANON, 403, 200, 200),
    ("GET", "/classroom/instructor/exams/{exam_id}/results.csv"): (PAGE_ANON, 403, 200, 200),
    ("POST", "/classroom/instructor/calibrate"): (PAGE_ANON, 403, 200, 200),
    ("GET", "/api/v1/classroom/lessons"): (API_ANON, 200, 200, 200),
    ("GET", "/api/v1/classroom/attempts/{attempt_id}"): (API_ANON, 404, 404, 404),
    ("PUT", "/api/v1/classroom/attempts/{attempt_id}/answers/{item_id}"): (API_ANON, 404, 404, 404),
    ("GET", "/api/v1/classroom/exams/{exam_id}/results"): (API_ANON, 403, 200, 200),
}


def path_values(db: Session, world: World) -> dict[str, str]:
    """An exam for the world's cohort, and an attempt by trainee2 (so the trainee under test may not see it)."""
    from scanroom.learning import exams
    from scanroom.learning.content import get_content

    content = get_content()
    lesson_id = next(iter(content.lessons), "none")
    exam = exams.create_exam(db, world.instructor, cohort_id=world.cohort.id, title="Matrix exam", kind="fixed",
                             blueprint={"physics": 2}, time_limit_min=10, max_attempts=20, seed=1)
    attempt = exams.start_attempt(db, world.trainee2, exam)
    db.commit()
    return {"lesson_id": lesson_id, "name": "missing.svg", "item_id": "gen:mri-contrast:1", "card_id": "999999",
            "exam_id": str(exam.id), "attempt_id": str(attempt.id)}
