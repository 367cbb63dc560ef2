"""Administration: users, programmes, cohorts, instructor assignment, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import (
    Actor,
    ValidationProblem,
    create_cohort,
    create_programme,
    create_user,
    enrol,
)
from scanroom.store.models import AuditEvent, Cohort, EnrolmentRole, Modality, Programme, Role, User
from scanroom.web.deps import DB, client_ip, require_admin
from scanroom.web.templating import render

router = APIRouter()


def _admin_context(db: Session, **extra: object) -> dict[str, object]:
    context: dict[str, object] = {
        "users": list(db.scalars(select(User).order_by(User.username))),
        "programmes": list(db.scalars(select(Programme).order_by(Programme.name))),
        "cohorts": list(db.scalars(select(Cohort).order_by(Cohort.name))),
        "audit": list(db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(25))),
        "roles": [r.value for r in Role],
        "modalities": [m.value for m in Modality],
        "errors": {},
        "values": {},
        "notice": "",
    }
    context.update(extra)
    return context


@router.get("/admin", response_class=HTMLResponse, include_in_schema=False)
def admin_home(request: Request, user: User = Depends(require_admin), db: Session = DB) -> Response:
    return render(request, "admin.html", _admin_context(db))


def _after(request: Request, db: Session, action, form: str, values: dict[str, str], done: str) -> Response:  # type: ignore[no-untyped-def]
    try:
        with db.begin_nested():
            action()
    except ValidationProblem as problem:
        return render(request, "admin.html",
                      _admin_context(db, errors={form: {problem.field: problem.message}}, values={form: values}),
                      status_code=400)
    return render(request, "admin.html", _admin_context(db, notice=done))


@router.post("/admin/users", response_class=HTMLResponse, include_in_schema=False)
def admin_create_user(request: Request, username: Annotated[str, Form()] = "", full_name: Annotated[str, Form()] = "",
                      email: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "trainee",
                      password: Annotated[str, Form()] = "", user: User = Depends(require_admin),
                      db: Session = DB) -> Response:
    actor = Actor(user.id, client_ip(request))
    return _after(request, db, lambda: create_user(db, username=username, password=password, role=role,
                                                   full_name=full_name, email=email, actor=actor),
                  "user", {"username": username, "full_name": full_name, "email": email, "role": role},
                  f"Created user {username.strip().lower()}.")


@router.post("/admin/programmes", response_class=HTMLResponse, include_in_schema=False)
def admin_create_programme(request: Request, name: Annotated[str, Form()] = "",
                           modality: Annotated[str, Form()] = "", level: Annotated[str, Form()] = "",
                           description: Annotated[str, Form()] = "", user: User = Depends(require_admin),
                           db: Session = DB) -> Response:
    actor = Actor(user.id, client_ip(request))
    return _after(request, db, lambda: create_programme(db, name=name, modality=modality, level=level,
                                                        description=description, actor=actor),
                  "programme", {"name": name, "modality": modality, "level": level, "description": description},
                  f"Created programme {name.strip()}.")


@router.post("/admin/cohorts", response_class=HTMLResponse, include_in_schema=False)
def admin_create_cohort(request: Request, name: Annotated[str, Form()] = "",
                        programme_id: Annotated[str, Form()] = "", start_year: Annotated[str, Form()] = "",
                        user: User = Depends(require_admin), db: Session = DB) -> Response:
    actor = Actor(user.id, client_ip(request))
    values = {"name": name, "programme_id": programme_id, "start_year": start_year}

    def action() -> None:
        pid = int(programme_id) if programme_id.strip().isdigit() else None
        year_text = start_year.strip()
        if year_text and not year_text.isdigit():
            raise ValidationProblem("start_year", "Start year must be a number such as 2026.")
        create_cohort(db, name=name, programme_id=pid, start_year=int(year_text) if year_text else None, actor=actor)

    return _after(request, db, action, "cohort", values, f"Created cohort {name.strip()}.")


@router.post("/admin/enrolments", response_class=HTMLResponse, include_in_schema=False)
def admin_enrol(request: Request, cohort_id: Annotated[str, Form()] = "", username: Annotated[str, Form()] = "",
                role: Annotated[str, Form()] = "instructor", user: User = Depends(require_admin),
                db: Session = DB) -> Response:
    values = {"cohort_id": cohort_id, "username": username, "role": role}

    def action() -> None:
        if not cohort_id.strip().isdigit():
            raise ValidationProblem("cohort_id", "Choose a cohort.")
        enrol(db, cohort_id=int(cohort_id), username=username, role=role or EnrolmentRole.INSTRUCTOR,
              actor_user=user, ip_address=client_ip(request))

    return _after(request, db, action, "enrolment", values, f"Enrolled {username.strip().lower()}.")
