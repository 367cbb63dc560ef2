"""The dose ledger page: every simulated exposure with patient and staff dose, DRL and limit checks, repeat-rate
analysis, MR screening decisions, and the flagged events an instructor reviews.

Trainees see their own ledger; instructors the trainees of the cohorts they teach; admins every trainee.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem, trainees_visible_to
from scanroom.safety import dose_ledger
from scanroom.safety.limits import DEFAULT_INVESTIGATION_LEVEL_MSV, JURISDICTIONS
from scanroom.store.models import Role, User
from scanroom.web.deps import DB, current_user, require_instructor
from scanroom.web.templating import render

router = APIRouter()


def _people(db: Session, user: User) -> list[User]:
    return [user] if user.role == Role.TRAINEE else trainees_visible_to(db, user)


def _ledger_page(request: Request, db: Session, user: User, jurisdiction: str, investigation_level: float, *,
                 errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    problems = dict(errors or {})
    if jurisdiction not in JURISDICTIONS:
        problems["jurisdiction"] = f"Choose one of {', '.join(JURISDICTIONS)}."
        jurisdiction = "icrp"
    if not investigation_level > 0:
        problems["investigation_level"] = "The investigation level is a positive dose in mSv."
        investigation_level = DEFAULT_INVESTIGATION_LEVEL_MSV
    ledger = dose_ledger.build_ledger(db, _people(db, user), jurisdiction=jurisdiction,
                                      investigation_level_msv=investigation_level)
    return render(request, "competency/ledger.html", {
        "ledger": ledger, "rows": dose_ledger.totals_as_rows(ledger), "jurisdictions": JURISDICTIONS,
        "jurisdiction": jurisdiction, "investigation_level": investigation_level, "errors": problems,
        "may_review": user.role in (Role.INSTRUCTOR, Role.ADMIN),
    }, status_code=422 if problems and status_code == 200 else status_code)


@router.get("/safety/ledger", response_class=HTMLResponse, include_in_schema=False)
def ledger_page(request: Request, jurisdiction: str = "icrp", investigation_level: str = "",
                user: User = Depends(current_user), db: Session = DB) -> Response:
    try:
        level = float(investigation_level) if investigation_level.strip() else DEFAULT_INVESTIGATION_LEVEL_MSV
    except ValueError:
        level = -1.0  # reported beside the field
    return _ledger_page(request, db, user, jurisdiction, level)


@router.post("/safety/events/review", response_class=HTMLResponse, include_in_schema=False)
def review_event(request: Request, event_key: Annotated[str, Form()] = "", note: Annotated[str, Form()] = "",
                 user: User = Depends(require_instructor), db: Session = DB) -> Response:
    ledger = dose_ledger.build_ledger(db, _people(db, user))
    try:
        dose_ledger.review_event(db, ledger, event_key, user, note)
    except LookupError:
        raise HTTPException(404, "No such event among your trainees'.") from None
    except ValidationProblem as problem:
        return _ledger_page(request, db, user, "icrp", DEFAULT_INVESTIGATION_LEVEL_MSV,
                            errors={problem.field: problem.message, "event": event_key}, status_code=422)
    except NotAllowed as refusal:
        raise HTTPException(403, str(refusal)) from None
    return RedirectResponse("/safety/ledger#events", status_code=303)
