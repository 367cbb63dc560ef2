"""Instructor pages: their cohorts, enrolment of trainees, and each trainee's progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import (
    NotAllowed,
    ValidationProblem,
    can_manage_cohort,
    cohorts_taught_by,
    enrol,
    trainees_visible_to,
)
from scanroom.learning import progress
from scanroom.store.models import Cohort, Enrolment, EnrolmentRole, User
from scanroom.web.deps import DB, client_ip, require_instructor
from scanroom.web.templating import render

router = APIRouter()


@router.get("/instructor", response_class=HTMLResponse, include_in_schema=False)
def instructor_home(request: Request, user: User = Depends(require_instructor),
                    db: Session = DB) -> Response:
    cohorts = cohorts_taught_by(db, user)
    trainees = [progress.progress_for(db, t) for t in trainees_visible_to(db, user)]
    return render(request, "instructor_home.html", {"cohorts": cohorts, "trainees": trainees})


def _cohort_or_404(db: Session, user: User, cohort_id: int) -> Cohort:
    cohort = db.get(Cohort, cohort_id)
    if cohort is None or not can_manage_cohort(db, user, cohort_id):
        raise HTTPException(404, "No such cohort among those you teach.")
    return cohort


def _cohort_context(db: Session, cohort: Cohort) -> dict[str, object]:
    members = list(db.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id)))
    trainees = [progress.progress_for(db, e.user) for e in members if e.role == EnrolmentRole.TRAINEE]
    instructors = [e.user for e in members if e.role == EnrolmentRole.INSTRUCTOR]
    return {"cohort": cohort, "trainees": trainees, "instructors": instructors}


@router.get("/instructor/cohorts/{cohort_id}", response_class=HTMLResponse, include_in_schema=False)
def cohort_page(request: Request, cohort_id: int, user: User = Depends(require_instructor),
                db: Session = DB) -> Response:
    cohort = _cohort_or_404(db, user, cohort_id)
    return render(request, "cohort.html", {**_cohort_context(db, cohort), "errors": {}, "username": ""})


@router.post("/instructor/cohorts/{cohort_id}/enrol", response_class=HTMLResponse, include_in_schema=False)
def cohort_enrol(request: Request, cohort_id: int, username: Annotated[str, Form()] = "",
                 user: User = Depends(require_instructor), db: Session = DB) -> Response:
    cohort = _cohort_or_404(db, user, cohort_id)
    try:
        enrol(db, cohort_id=cohort.id, username=username, role=EnrolmentRole.TRAINEE, actor_user=user,
              ip_address=client_ip(request))
    except ValidationProblem as problem:
        context = {**_cohort_context(db, cohort), "errors": {problem.field: problem.message}, "username": username}
        return render(request, "cohort.html", context, status_code=400)
    except NotAllowed as refusal:
        raise HTTPException(403, str(refusal)) from None
    return render(request, "cohort.html", {**_cohort_context(db, cohort), "errors": {}, "username": "",
                                           "notice": f"Enrolled {username.strip().lower()}."})


@router.get("/instructor/trainees/{trainee_id}", response_class=HTMLResponse, include_in_schema=False)
def trainee_page(request: Request, trainee_id: int, user: User = Depends(require_instructor),
                 db: Session = DB) -> Response:
    trainee = next((t for t in trainees_visible_to(db, user) if t.id == trainee_id), None)
    if trainee is None:
        raise HTTPException(404, "No such trainee in your cohorts.")
    return render(request, "trainee_detail.html", {"trainee": trainee, "progress": progress.progress_for(db, trainee)})
