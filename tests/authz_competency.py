"""Authorisation rows for the competency and safety routes (see tests/test_authorization_matrix.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scanroom.competency import signoff, tasks
from tests.conftest import World

PAGE_ANON = 303

# (anonymous, trainee, instructor, admin); writes are sent with a CSRF token and an empty body.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/competency"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/competency/record"): (PAGE_ANON, 303, 403, 403),
    ("GET", "/competency/tasks/{task_id}"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/competency/tasks/{task_id}/start"): (PAGE_ANON, 422, 403, 403),
    ("GET", "/competency/attempts/{attempt_id}"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/competency/attempts/{attempt_id}/submit"): (PAGE_ANON, 303, 403, 403),
    ("GET", "/competency/trainees/{trainee_id}"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/competency/trainees/{trainee_id}/record.csv"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/competency/trainees/{trainee_id}/record.pdf"): (PAGE_ANON, 200, 200, 200),
    ("POST", "/competency/trainees/{trainee_id}/signoff"): (PAGE_ANON, 403, 422, 422),
    ("POST", "/competency/signoffs/{signoff_id}/revoke"): (PAGE_ANON, 403, 422, 422),
    ("GET", "/competency/cohorts/{cohort_id}"): (PAGE_ANON, 403, 200, 200),
    ("POST", "/competency/programmes/{programme_id}/framework"): (PAGE_ANON, 403, 422, 422),
    ("POST", "/competency/programmes/{programme_id}/requirements"): (PAGE_ANON, 403, 422, 422),
    ("POST", "/competency/programmes/{programme_id}/tasks"): (PAGE_ANON, 403, 303, 303),  # empty: no tasks set
    ("GET", "/safety/ledger"): (PAGE_ANON, 200, 200, 200),
    ("GET", "/api/v1/competency/frameworks"): (401, 200, 200, 200),
    ("GET", "/api/v1/competency/trainees/{trainee_id}/record"): (401, 200, 200, 200),
    ("POST", "/safety/events/review"): (PAGE_ANON, 403, 422, 422),
}


def path_values(db: Session, world: World) -> dict[str, str]:
    """An open attempt and a standing sign-off of the world's trainee; a task with pre-exposure checks."""
    attempt = tasks.start_attempt(db, world.trainee, "chest-pa-outpatient")
    signed = signoff.sign_off(db, trainee=world.trainee, requirement_id="chest-routine", signer=world.instructor,
                              attestations=["independently", "consistently", "effectively"])
    db.commit()
    return {"task_id": "pelvis-trauma-resus", "attempt_id": str(attempt.id), "signoff_id": str(signed.id),
            "programme_id": str(world.programme.id)}
