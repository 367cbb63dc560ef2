"""Competency pages: practical tasks (start, console in task mode, submit, rubric), records with sign-off,
exports (CSV, PDF), the cohort dashboard, and a programme's framework choice and local requirements.

Who may see what: a trainee sees only their own attempts and record; an instructor those of the trainees in
the cohorts they teach; an admin everyone's. Anything else is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem, cohorts_taught_by
from scanroom.competency import export, frameworks, records, signoff, tasks
from scanroom.competency.rubric import TITLES
from scanroom.store.models import Programme, Role, User
from scanroom.store.models_competency import SignOff, TaskAttempt
from scanroom.web import charts
from scanroom.web.deps import DB, client_ip, current_user, require_instructor, require_trainee
from scanroom.web.templating import render

router = APIRouter()


def _trainee_or_404(db: Session, viewer: User, trainee_id: int) -> User:
    trainee = db.get(User, trainee_id)
    if trainee is None or not records.can_view(db, viewer, trainee):
        raise HTTPException(404, "No such trainee record.")
    return trainee


def _task_or_404(task_id: str) -> tasks.Task:
    try:
        return tasks.get_task(task_id)
    except KeyError:
        raise HTTPException(404, f"No task {task_id!r}.") from None


@router.get("/competency", response_class=HTMLResponse, include_in_schema=False)
def competency_home(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    """Trainees: their tasks and record at a glance. Instructors: their cohorts and programmes' frameworks."""
    return _home(request, db, user)


def _home(request: Request, db: Session, user: User, *, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    context: dict[str, Any] = {"tasks": tasks.all_tasks(), "frameworks": frameworks.all_frameworks(),
                               "errors": errors or {}, "evidence_kinds": frameworks.EVIDENCE_KINDS}
    if user.role == Role.TRAINEE:
        record = records.competency_record(db, user)
        set_ids = records.programme_task_ids(db, record.programme)
        context.update(record=record, counts=records.summary(record), attempts=tasks.attempts_of(db, user)[:20],
                       set_tasks=[t for t in tasks.all_tasks() if t.id in set_ids])
    else:
        cohorts = cohorts_taught_by(db, user)
        programmes = {c.programme.id: c.programme for c in cohorts}
        context.update(cohorts=cohorts, programmes=[(p, records.framework_for_programme(db, p),
                                                     records.chosen_framework_id(db, p),
                                                     records.programme_task_ids(db, p)) for p in programmes.values()])
    return render(request, "competency/index.html", context, status_code=status_code)


@router.get("/competency/tasks/{task_id}", response_class=HTMLResponse, include_in_schema=False)
def task_page(request: Request, task_id: str, user: User = Depends(current_user), db: Session = DB) -> Response:
    task = _task_or_404(task_id)
    attempts = tasks.attempts_of(db, user, task.id) if user.role == Role.TRAINEE else []
    return render(request, "competency/task.html", {"task": task, "attempts": attempts, "titles": TITLES,
                                                    "errors": {}, "answers": {}})


@router.post("/competency/tasks/{task_id}/start", include_in_schema=False)
async def task_start(request: Request, task_id: str, user: User = Depends(require_trainee),
                     db: Session = DB) -> Response:
    task = _task_or_404(task_id)
    form = {k: str(v) for k, v in (await request.form()).items()}
    answers = {c.id: form.get(f"check-{c.id}", "") for c in task.checks}
    try:
        attempt = tasks.start_attempt(db, user, task.id, answers)
    except ValidationProblem as problem:
        return render(request, "competency/task.html", {
            "task": task, "attempts": tasks.attempts_of(db, user, task.id), "titles": TITLES,
            "errors": {problem.field: problem.message}, "answers": answers}, status_code=422)
    target = f"{tasks.CONSOLES[task.modality]}?task={attempt.id}"
    if task.modality == "mri":
        target += f"&case={quote(str(task.scenario['mr_case']))}"
    return RedirectResponse(target, status_code=303)


def _attempt_for_viewer(db: Session, user: User, attempt_id: int) -> TaskAttempt:
    attempt = db.get(TaskAttempt, attempt_id)
    trainee = db.get(User, attempt.trainee_id) if attempt is not None else None
    if attempt is None or trainee is None or not records.can_view(db, user, trainee):
        raise HTTPException(404, "No such task attempt.")
    return attempt


@router.get("/competency/attempts/{attempt_id}", response_class=HTMLResponse, include_in_schema=False)
def attempt_page(request: Request, attempt_id: int, user: User = Depends(current_user),
                 db: Session = DB) -> Response:
    attempt = _attempt_for_viewer(db, user, attempt_id)
    task = _task_or_404(attempt.task_id)
    scans = tasks.attempt_scans(db, attempt)
    items = attempt.breakdown[1:] if attempt.status == "submitted" else []
    return render(request, "competency/attempt.html", {
        "attempt": attempt, "task": task, "scans": scans, "items": items, "own": attempt.trainee_id == user.id,
        "answers": tasks.answers_of(attempt), "console": tasks.CONSOLES[task.modality]})


@router.post("/competency/attempts/{attempt_id}/submit", include_in_schema=False)
def attempt_submit(attempt_id: int, user: User = Depends(require_trainee), db: Session = DB) -> Response:
    try:
        tasks.submit(db, user, attempt_id)
    except LookupError:
        raise HTTPException(404, "No such task attempt.") from None
    except NotAllowed as refusal:
        raise HTTPException(409, str(refusal)) from None
    return RedirectResponse(f"/competency/attempts/{attempt_id}", status_code=303)


# ----------------------------------------------------------------------------- records and sign-off

def _record_page(request: Request, db: Session, user: User, trainee: User, *, errors: dict[str, str] | None = None,
                 notice: str = "", status_code: int = 200) -> Response:
    record = records.competency_record(db, trainee)
    may_sign = user.role in (Role.INSTRUCTOR, Role.ADMIN) and user.id != trainee.id
    history = signoff.history(db, trainee)
    return render(request, "competency/record.html", {
        "trainee": trainee, "record": record, "counts": records.summary(record), "may_sign": may_sign,
        "history": history, "chain": signoff.verify_chain(db, trainee) if may_sign else None,
        "attempts": tasks.attempts_of(db, trainee)[:20], "errors": errors or {}, "notice": notice,
        "users": {u.id: u for u in db.scalars(select(User).where(User.id.in_({h.signed_by_id for h in history
                                                                               if h.signed_by_id})))},
    }, status_code=status_code)


@router.get("/competency/record", include_in_schema=False)
def own_record(user: User = Depends(require_trainee)) -> Response:
    return RedirectResponse(f"/competency/trainees/{user.id}", status_code=303)


@router.get("/competency/trainees/{trainee_id}", response_class=HTMLResponse, include_in_schema=False)
def trainee_record(request: Request, trainee_id: int, user: User = Depends(current_user),
                   db: Session = DB) -> Response:
    return _record_page(request, db, user, _trainee_or_404(db, user, trainee_id))


@router.get("/competency/trainees/{trainee_id}/record.csv", include_in_schema=False)
def record_csv(trainee_id: int, user: User = Depends(current_user), db: Session = DB) -> Response:
    trainee = _trainee_or_404(db, user, trainee_id)
    body = export.to_csv(records.competency_record(db, trainee))
    return Response(body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="competency-{trainee.username}.csv"',
        "Cache-Control": "no-store"})


@router.get("/competency/trainees/{trainee_id}/record.pdf", include_in_schema=False)
def record_pdf(trainee_id: int, user: User = Depends(current_user), db: Session = DB) -> Response:
    trainee = _trainee_or_404(db, user, trainee_id)
    body = export.to_pdf(records.competency_record(db, trainee))
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="competency-{trainee.username}.pdf"', "Cache-Control": "no-store"})


@router.post("/competency/trainees/{trainee_id}/signoff", response_class=HTMLResponse, include_in_schema=False)
async def trainee_signoff(request: Request, trainee_id: int, user: User = Depends(require_instructor),
                          db: Session = DB) -> Response:
    trainee = _trainee_or_404(db, user, trainee_id)
    form = await request.form()
    requirement_id, comment, level = (str(form.get(k, "")) for k in ("requirement_id", "comment", "level"))
    attested = [str(v) for v in form.getlist("attest")]
    try:
        chosen = int(level) if level.strip() else None
    except ValueError:
        return _record_page(request, db, user, trainee, errors={"level": "Level is a whole number."}, status_code=422)
    try:
        signoff.sign_off(db, trainee=trainee, requirement_id=requirement_id, signer=user, comment=comment,
                         level=chosen, attestations=attested, ip_address=client_ip(request))
    except ValidationProblem as problem:
        return _record_page(request, db, user, trainee, errors={problem.field: problem.message,
                                                                "requirement": requirement_id}, status_code=422)
    except NotAllowed as refusal:
        raise HTTPException(403, str(refusal)) from None
    except LookupError:
        raise HTTPException(404, "No such trainee record.") from None
    return RedirectResponse(f"/competency/trainees/{trainee.id}#req-{requirement_id}", status_code=303)


@router.post("/competency/signoffs/{signoff_id}/revoke", response_class=HTMLResponse, include_in_schema=False)
def signoff_revoke(request: Request, signoff_id: int, reason: Annotated[str, Form()] = "",
                   user: User = Depends(require_instructor), db: Session = DB) -> Response:
    original = db.get(SignOff, signoff_id)
    trainee = db.get(User, original.trainee_id) if original is not None else None
    if original is None or trainee is None or not records.can_view(db, user, trainee):
        raise HTTPException(404, "No such sign-off.")
    try:
        signoff.revoke(db, signoff_id=signoff_id, signer=user, reason=reason, ip_address=client_ip(request))
    except ValidationProblem as problem:
        return _record_page(request, db, user, trainee, errors={problem.field: problem.message,
                                                                "requirement": original.requirement_id,
                                                                "signoff": str(signoff_id)}, status_code=422)
    except NotAllowed as refusal:
        raise HTTPException(403, str(refusal)) from None
    return RedirectResponse(f"/competency/trainees/{trainee.id}#req-{original.requirement_id}", status_code=303)


# ----------------------------------------------------------------------------- JSON API

class EvidenceOut(BaseModel):
    kind: str
    ref: str
    score: float | None
    passed: bool
    at: datetime


class SignOffOut(BaseModel):
    id: int
    signed_by: str
    signed_at: datetime
    level: int | None
    attestations: list[str]
    comment: str
    content_hash: str


class RequirementOut(BaseModel):
    id: str
    title: str
    section: str
    category: str
    accepts: list[str]
    source: str
    status: str
    date: datetime | None
    level: int | None
    evidence: list[EvidenceOut]
    signoffs: list[SignOffOut]
    revoked: int


class RuleOut(BaseModel):
    id: str
    description: str
    required: int
    achieved: int
    satisfied: bool


class RecordOut(BaseModel):
    trainee: str
    framework: str
    framework_title: str
    programme: str | None
    met: int
    total: int
    complete: bool
    shortfall: int
    rules: list[RuleOut]
    requirements: list[RequirementOut]


class FrameworkOut(BaseModel):
    id: str
    title: str
    kind: str
    modality: str
    version: str
    requirements: int
    rules: list[str]
    sources: list[dict[str, str]]


@router.get("/api/v1/competency/frameworks", response_model=list[FrameworkOut], tags=["competency"])
def api_frameworks(_user: User = Depends(current_user)) -> list[FrameworkOut]:
    """Every competency framework Scanroom ships, with its rules and sources."""
    return [FrameworkOut(id=f.id, title=f.title, kind=f.kind, modality=f.modality, version=f.version,
                         requirements=len(f.requirements), rules=[r.description for r in f.rules],
                         sources=list(f.sources)) for f in frameworks.all_frameworks()]


@router.get("/api/v1/competency/trainees/{trainee_id}/record", response_model=RecordOut, tags=["competency"])
def api_record(trainee_id: int, user: User = Depends(current_user), db: Session = DB) -> RecordOut:
    """A trainee's competency record (own, a taught trainee's, or any for an admin; otherwise 404)."""
    trainee = _trainee_or_404(db, user, trainee_id)
    record = records.competency_record(db, trainee)
    counts = records.summary(record)
    return RecordOut(
        trainee=trainee.username, framework=record.framework.id, framework_title=record.framework.title,
        programme=record.programme.name if record.programme else None, met=counts["met"], total=counts["total"],
        complete=counts["complete"], shortfall=counts["shortfall"],
        rules=[RuleOut(id=r.rule.id, description=r.rule.description, required=r.required, achieved=r.achieved,
                       satisfied=r.satisfied) for r in record.rule_results],
        requirements=[RequirementOut(
            id=i.requirement.id, title=i.requirement.title, section=i.requirement.section,
            category=i.requirement.category, accepts=list(i.requirement.evidence), source=i.requirement.source,
            status=i.status, date=i.date, level=i.level,
            evidence=[EvidenceOut(kind=e.kind, ref=e.ref, score=e.score, passed=e.passed, at=e.at) for e in i.evidence],
            signoffs=[SignOffOut(id=s.id, signed_by=s.signed_by_name, signed_at=s.signed_at, level=s.level,
                                 attestations=list(s.attestations or []), comment=s.comment,
                                 content_hash=s.content_hash) for s in i.signoffs],
            revoked=len(i.revoked)) for i in record.items])


# ----------------------------------------------------------------------------- cohorts and programmes

@router.get("/competency/cohorts/{cohort_id}", response_class=HTMLResponse, include_in_schema=False)
def cohort_dashboard(request: Request, cohort_id: int, user: User = Depends(require_instructor),
                     db: Session = DB) -> Response:
    try:
        dashboard = records.cohort_dashboard(db, user, cohort_id)
    except LookupError:
        raise HTTPException(404, "No such cohort among those you teach.") from None
    names = {row.trainee.id: row.trainee.full_name or row.trainee.username for row in dashboard.rows}
    series = [charts.Series(names.get(trainee_id, str(trainee_id)), [(i + 1, v) for i, v in enumerate(values)])
              for trainee_id, values in dashboard.task_scores.items()]
    score_chart = charts.line_chart(series, title="Practical task scores, in the order submitted",
                                    x_label="attempt", y_label="score (%)", y_max=100.0,
                                    x_max=float(max((len(s.points) for s in series), default=1))) if series else None
    return render(request, "competency/cohort.html", {"dashboard": dashboard, "score_chart": score_chart})


def _programme_or_404(db: Session, user: User, programme_id: int) -> Programme:
    programme = db.get(Programme, programme_id)
    if programme is None or not records.may_manage_programme(db, user, programme_id):
        raise HTTPException(404, "No such programme among those you teach.")
    return programme


@router.post("/competency/programmes/{programme_id}/framework", include_in_schema=False)
def programme_framework(request: Request, programme_id: int, framework_id: Annotated[str, Form()] = "",
                        user: User = Depends(require_instructor), db: Session = DB) -> Response:
    programme = _programme_or_404(db, user, programme_id)
    try:
        records.choose_framework(db, programme, framework_id, user)
    except ValidationProblem as problem:
        return _home(request, db, user, errors={f"{problem.field}-{programme_id}": problem.message},
                     status_code=422)
    return RedirectResponse("/competency#programmes", status_code=303)


@router.post("/competency/programmes/{programme_id}/tasks", include_in_schema=False)
async def programme_tasks(request: Request, programme_id: int, user: User = Depends(require_instructor),
                          db: Session = DB) -> Response:
    programme = _programme_or_404(db, user, programme_id)
    chosen = [str(v) for v in (await request.form()).getlist("task_id")]
    try:
        records.set_programme_tasks(db, programme, chosen, user)
    except ValidationProblem as problem:
        return _home(request, db, user, errors={f"{problem.field}-{programme_id}": problem.message},
                     status_code=422)
    return RedirectResponse("/competency#programmes", status_code=303)


@router.post("/competency/programmes/{programme_id}/requirements", include_in_schema=False)
async def programme_requirement(request: Request, programme_id: int, user: User = Depends(require_instructor),
                                db: Session = DB) -> Response:
    programme = _programme_or_404(db, user, programme_id)
    form = await request.form()
    evidence = [str(v) for v in form.getlist("evidence")]
    try:
        records.add_local_requirement(db, programme, requirement_id=str(form.get("requirement_id", "")),
                                      title=str(form.get("title", "")), evidence=evidence, actor=user,
                                      source=str(form.get("source", "")))
    except ValidationProblem as problem:
        return _home(request, db, user, errors={f"{problem.field}-{programme_id}": problem.message},
                     status_code=422)
    return RedirectResponse("/competency#programmes", status_code=303)
