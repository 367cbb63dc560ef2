"""Reading room pages: reading sets, the reading page with lesion marking, feedback, results and curves;
instructor pages for the case library (generate, import, edit, mark truth, publish), sets and cohort results.

Truth never reaches the browser before submission: the reading page's context is built by
``_reading_context`` from the case's public fields only, and the truth regions are added to the page only when
``sessions.feedback_visible`` says so.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem, can_manage_cohort, cohorts_taught_by
from scanroom.competency import evidence
from scanroom.reading import analysis, cases, sessions
from scanroom.store.models import Cohort, Role, User
from scanroom.store.models_reading import Case, CaseReading, CaseStatus, ReadingMode, ReadingSession, ReadingSet
from scanroom.web import charts
from scanroom.web.deps import DB, current_user, require_instructor
from scanroom.web.templating import render

router = APIRouter()

MODE_LABELS = {ReadingMode.PRACTICE: "Practice (feedback after each case)",
               ReadingMode.TEST: "Test (feedback at the end)",
               ReadingMode.AI_ASSISTED: "AI-assisted (the AI second reader's marks are shown)"}
MAX_WEB_GENERATE = 20


def froc_chart(finished: list[ReadingSession], title: str) -> Any:
    series = [charts.Series(label, points) for label, points in analysis.froc_series(finished)]
    x_max = max([x for s in series for x, _ in s.points] + [1.0])
    return charts.line_chart(series, title=title, x_label="Non-lesion localisations per case (NLF)",
                             y_label="Lesion localisation fraction (LLF)", x_max=x_max)


def roc_chart(finished: list[ReadingSession], title: str) -> Any:
    series = [charts.Series(label, points) for label, points in analysis.roc_series(finished)]
    return charts.line_chart(series, title=title, x_label="False-positive fraction",
                             y_label="True-positive fraction", chance_diagonal=True)


def learning_chart(finished: list[ReadingSession], title: str) -> Any:
    points = analysis.learning_points(finished)
    return charts.line_chart([charts.Series("wAFROC figure of merit", points)], title=title,
                             x_label="Finished session", y_label="wAFROC figure of merit",
                             x_max=max(len(points), 1) + 0.0)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- trainee: sets, reading, feedback, results -------------------------------------------------------------

@router.get("/reading", response_class=HTMLResponse, include_in_schema=False)
def reading_home(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    available = sessions.sets_for(db, user)
    mine = sessions.sessions_of(db, user)
    finished = [s for s in mine if s.finished_at is not None and s.summary]
    context: dict[str, Any] = {"available": available, "sessions": list(reversed(mine)), "mode_labels": MODE_LABELS,
                               "froc_chart": None, "learning_chart": None}
    if finished:
        context["froc_chart"] = froc_chart(finished[-4:], title="Your FROC curves (latest sessions)")
        context["learning_chart"] = learning_chart(finished, title="Your learning curve")
    return render(request, "reading/home.html", context)


@router.post("/reading/sets/{set_id}/start", include_in_schema=False)
def start_reading(set_id: int, mode: Annotated[str, Form()] = "", user: User = Depends(current_user),
                  db: Session = DB) -> Response:
    try:
        session = sessions.start_session(db, user, set_id, mode or None)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    except ValidationProblem as exc:
        raise HTTPException(400, exc.message) from exc
    position = sessions.next_position(db, session)
    return _redirect(f"/reading/sessions/{session.id}/cases/{position}" if position is not None
                     else f"/reading/sessions/{session.id}/results")


def _session_or_404(db: Session, user: User, session_id: int) -> ReadingSession:
    try:
        return sessions.get_session(db, user, session_id)
    except LookupError as exc:
        raise HTTPException(404, "No such reading session.") from exc


@router.get("/reading/sessions/{session_id}", include_in_schema=False)
def session_page(session_id: int, user: User = Depends(current_user), db: Session = DB) -> Response:
    session = _session_or_404(db, user, session_id)
    position = sessions.next_position(db, session)
    if position is None or session.user_id != user.id:
        return _redirect(f"/reading/sessions/{session.id}/results")
    return _redirect(f"/reading/sessions/{session.id}/cases/{position}")


def _reading_context(db: Session, session: ReadingSession, position: int, case: Case,
                     reading: CaseReading | None, data_dir: Path | None = None) -> dict[str, Any]:
    """What the reading page may show. Truth (findings, diagnosis, teaching points) only once feedback is due."""
    series = case.series[0]
    total = len(session.reading_set.items)
    context: dict[str, Any] = {
        "session": session, "position": position, "total": total, "mode_label": MODE_LABELS[session.mode],
        "case_public": {"title": f"Case {position + 1} of {total}", "history": case.history,
                        "question": case.question, "modality": case.modality,
                        "diagnosis_choices": case.diagnosis_choices},
        "study_uid": series.study_uid, "series_uid": series.series_uid,
        "submitted": reading is not None and reading.submitted_at is not None,
        "feedback": None, "regions_json": "[]", "ai_marks": [], "ai_summary": "", "ai_reads": False,
        "next_url": None, "errors": {},
    }
    ai_regions: list[dict[str, Any]] = []
    if session.mode == ReadingMode.AI_ASSISTED:
        if data_dir is not None:
            cases.ensure_ai_marks(db, data_dir, case)
        flagged = cases.flagged_ai_marks(case)
        context["ai_marks"] = flagged
        context["ai_summary"] = cases.ai_reader_summary()
        context["ai_reads"] = cases.ai_reads(case.modality)
        ai_regions = [{"x": m["x"], "y": m["y"], "radius": m["radius"], "frame": m.get("frame", 0), "kind": "ai",
                       "label": f"AI {m['confidence']:.0%}"} for m in flagged]
        context["regions_json"] = json.dumps(ai_regions)
    if sessions.feedback_visible(session, reading):
        assert reading is not None
        context["feedback"] = analysis.case_feedback(case, reading)
        # In AI-assisted reading the AI's flags stay on the feedback image: did it find the lesion, or mislead?
        context["regions_json"] = json.dumps(context["feedback"]["regions"] + ai_regions)
        context["case_public"]["title"] = f"Case {position + 1} of {total}: {case.title}"
    nxt = sessions.next_position(db, session)
    if context["submitted"]:
        context["next_url"] = (f"/reading/sessions/{session.id}/cases/{nxt}" if nxt is not None
                               else f"/reading/sessions/{session.id}/results")
    return context


@router.get("/reading/sessions/{session_id}/cases/{position}", response_class=HTMLResponse, include_in_schema=False)
def read_case(request: Request, session_id: int, position: int, user: User = Depends(current_user),
              db: Session = DB) -> Response:
    session = _session_or_404(db, user, session_id)
    try:
        case = sessions.case_at(session, position)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    reader_is_me = session.user_id == user.id
    reading = sessions.reading_for(db, session, case, open_now=reader_is_me and session.finished_at is None)
    if not reader_is_me and (reading is None or reading.submitted_at is None):
        raise HTTPException(404, "This case has not been read yet.")
    if reading is not None and reading.submitted_at is not None and not sessions.feedback_visible(session, reading):
        nxt = sessions.next_position(db, session)  # test mode: no feedback until the end
        return _redirect(f"/reading/sessions/{session.id}/cases/{nxt}" if nxt is not None
                         else f"/reading/sessions/{session.id}/results")
    return render(request, "reading/case.html",
                  _reading_context(db, session, position, case, reading, request.app.state.data_dir))


@router.post("/reading/sessions/{session_id}/cases/{position}", response_class=HTMLResponse,
             include_in_schema=False)
def submit_case(request: Request, session_id: int, position: int, marks: Annotated[str, Form()] = "[]",
                diagnosis_choice: Annotated[str, Form()] = "", user: User = Depends(current_user),
                db: Session = DB) -> Response:
    session = _session_or_404(db, user, session_id)
    if session.user_id != user.id:
        raise HTTPException(404, "No such reading session.")
    try:
        case = sessions.case_at(session, position)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    try:
        try:
            raw = json.loads(marks or "[]")
        except json.JSONDecodeError as exc:
            raise ValidationProblem("marks", "The marks could not be read; mark the image again.") from exc
        sessions.submit_case(db, user, session, position, sessions.parse_marks(raw), diagnosis_choice)
    except ValidationProblem as exc:
        reading = sessions.reading_for(db, session, case)
        context = _reading_context(db, session, position, case, reading, request.app.state.data_dir)
        context["errors"] = {exc.field: exc.message}
        return render(request, "reading/case.html", context, status_code=400)
    if session.mode == ReadingMode.TEST:
        nxt = sessions.next_position(db, session)
        return _redirect(f"/reading/sessions/{session.id}/cases/{nxt}" if nxt is not None
                         else f"/reading/sessions/{session.id}/results")
    return _redirect(f"/reading/sessions/{session.id}/cases/{position}#feedback")


@router.get("/reading/sessions/{session_id}/results", response_class=HTMLResponse, include_in_schema=False)
def session_results(request: Request, session_id: int, user: User = Depends(current_user),
                    db: Session = DB) -> Response:
    session = _session_or_404(db, user, session_id)
    done = session.finished_at is not None
    context: dict[str, Any] = {"session": session, "done": done, "mode_label": MODE_LABELS[session.mode],
                               "reader": db.get(User, session.user_id), "rows": [], "summary": session.summary,
                               "froc_chart": None, "roc_chart": None}
    if done and session.summary:
        context["rows"] = analysis.case_rows(session)
        context["froc_chart"] = froc_chart([session], title="FROC curve")
        context["roc_chart"] = roc_chart([session], title="ROC curve (highest rating per case)")
    return render(request, "reading/results.html", context)


# --- instructor: case library ------------------------------------------------------------------------------

def _library_context(db: Session, **extra: Any) -> dict[str, Any]:
    return {"cases": cases.find_cases(db), "errors": {}, "message": "", "max_generate": MAX_WEB_GENERATE,
            "import_report": None, **extra}


@router.get("/reading/cases", response_class=HTMLResponse, include_in_schema=False)
def case_library(request: Request, user: User = Depends(require_instructor), db: Session = DB) -> Response:
    return render(request, "reading/cases.html", _library_context(db))


@router.post("/reading/cases/generate", response_class=HTMLResponse, include_in_schema=False)
async def generate_cases(request: Request, n_cases: Annotated[str, Form()] = "",
                         difficulty: Annotated[str, Form()] = "mixed", seed: Annotated[str, Form()] = "0",
                         user: User = Depends(require_instructor), db: Session = DB) -> Response:
    try:
        try:
            count, seed_value = int(n_cases), int(seed)
        except ValueError as exc:
            raise ValidationProblem("n_cases", "Give the number of cases and the seed as whole numbers.") from exc
        if not 1 <= count <= MAX_WEB_GENERATE:
            raise ValidationProblem("n_cases", f"Generate 1–{MAX_WEB_GENERATE} cases here; use "
                                               "`scanroom cases generate` for bulk sets.")
        if difficulty not in ("mixed", *cases.DIFFICULTIES):
            raise ValidationProblem("difficulty", "Difficulty is mixed, easy, moderate or hard.")
        created = await run_in_threadpool(cases.generate_cases, db, request.app.state.data_dir, count,
                                          difficulty=difficulty, seed=seed_value, created_by=user)
    except ValidationProblem as exc:
        return render(request, "reading/cases.html", _library_context(db, errors={exc.field: exc.message}),
                      status_code=400)
    message = f"{len(created)} new case{'s' if len(created) != 1 else ''} generated and published."
    return render(request, "reading/cases.html", _library_context(db, message=message))


@router.post("/reading/cases/import", response_class=HTMLResponse, include_in_schema=False)
async def import_cases(request: Request, files: Annotated[list[UploadFile] | None, File()] = None,
                       user: User = Depends(require_instructor), db: Session = DB) -> Response:
    from scanroom.reading import teaching

    with tempfile.TemporaryDirectory(prefix="scanroom-upload-") as tmp:
        paths = []
        for n, upload in enumerate(files or []):
            name = Path(upload.filename or f"upload-{n}").name or f"upload-{n}"
            target = Path(tmp) / f"{n:04d}-{name}"
            target.write_bytes(await upload.read())
            paths.append(target)
        if not paths:
            return render(request, "reading/cases.html",
                          _library_context(db, errors={"files": "Choose DICOM files or a zip to import."}),
                          status_code=400)
        report = await run_in_threadpool(teaching.import_as_draft_cases, db, request.app.state.data_dir, paths,
                                         created_by=user)
    message = (f"Imported {len(report.cases)} draft case{'s' if len(report.cases) != 1 else ''} "
               f"(de-identified); {len(report.skipped)} file{'s' if len(report.skipped) != 1 else ''} skipped.")
    return render(request, "reading/cases.html", _library_context(db, message=message, import_report=report))


def _case_or_404(db: Session, case_id: int) -> Case:
    case = cases.get_case(db, case_id)
    if case is None:
        raise HTTPException(404, "No such case.")
    return case


def _case_edit_context(case: Case, **extra: Any) -> dict[str, Any]:
    regions = [{"x": f.x, "y": f.y, "radius": f.radius, "frame": f.frame, "frameExtent": f.frame_extent,
                "kind": "truth", "label": f.label[:40] or "lesion"} for f in case.findings]
    return {"case": case, "series": case.series[0], "errors": {}, "message": "",
            "regions_json": json.dumps(regions), **extra}


@router.get("/reading/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def edit_case_page(request: Request, case_id: int, user: User = Depends(require_instructor),
                   db: Session = DB) -> Response:
    return render(request, "reading/case_edit.html", _case_edit_context(_case_or_404(db, case_id)))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.post("/reading/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def edit_case(request: Request, case_id: int, title: Annotated[str, Form()] = "",
              history: Annotated[str, Form()] = "", question: Annotated[str, Form()] = "",
              diagnosis: Annotated[str, Form()] = "", diagnosis_choices: Annotated[str, Form()] = "",
              teaching_points: Annotated[str, Form()] = "", references: Annotated[str, Form()] = "",
              tags: Annotated[str, Form()] = "", difficulty: Annotated[str, Form()] = "moderate",
              level: Annotated[str, Form()] = "entry", abnormal: Annotated[str, Form()] = "",
              user: User = Depends(require_instructor), db: Session = DB) -> Response:
    case = _case_or_404(db, case_id)
    try:
        cases.update_case(case, title=title, history=history, question=question, diagnosis=diagnosis,
                          diagnosis_choices=_lines(diagnosis_choices), teaching_points=_lines(teaching_points),
                          references=_lines(references), tags=[t for t in tags.replace(",", " ").split() if t],
                          difficulty=difficulty, level=level)
        case.abnormal = abnormal in ("on", "true", "1") or bool(case.findings)
    except ValidationProblem as exc:
        db.rollback()
        case = _case_or_404(db, case_id)
        return render(request, "reading/case_edit.html",
                      _case_edit_context(case, errors={exc.field: exc.message}), status_code=400)
    return render(request, "reading/case_edit.html", _case_edit_context(case, message="Saved."))


@router.post("/reading/cases/{case_id}/truth", response_class=HTMLResponse, include_in_schema=False)
def save_truth(request: Request, case_id: int, findings: Annotated[str, Form()] = "[]",
               user: User = Depends(require_instructor), db: Session = DB) -> Response:
    """The instructor's marks in the viewer become the case's truth (centre and acceptance radius per lesion)."""
    case = _case_or_404(db, case_id)
    series_uid = case.series[0].series_uid
    try:
        try:
            raw = json.loads(findings or "[]")
        except json.JSONDecodeError as exc:
            raise ValidationProblem("findings", "The marks could not be read.") from exc
        if not isinstance(raw, list):
            raise ValidationProblem("findings", "Findings must be a list.")
        parsed = []
        for n, item in enumerate(raw, start=1):
            try:
                parsed.append(cases.FindingInput(series_uid=series_uid, x=float(item["x"]), y=float(item["y"]),
                                                 radius=float(item.get("radius") or 30),
                                                 frame=int(item.get("frame", 0)),
                                                 frame_extent=int(item.get("frame_extent", 0)),
                                                 label=str(item.get("label", ""))[:200]))
            except (KeyError, TypeError, ValueError) as exc:
                raise ValidationProblem("findings", f"Finding {n} needs numeric x, y and radius.") from exc
        cases.replace_findings(db, case, parsed)
    except ValidationProblem as exc:
        return render(request, "reading/case_edit.html",
                      _case_edit_context(case, errors={exc.field: exc.message}), status_code=400)
    n = len(case.findings)
    return render(request, "reading/case_edit.html",
                  _case_edit_context(case, message=f"Truth saved: {n} finding{'s' if n != 1 else ''}."))


@router.post("/reading/cases/{case_id}/publish", response_class=HTMLResponse, include_in_schema=False)
def publish_case(request: Request, case_id: int, user: User = Depends(require_instructor),
                 db: Session = DB) -> Response:
    case = _case_or_404(db, case_id)
    try:
        cases.publish(case)
    except ValidationProblem as exc:
        return render(request, "reading/case_edit.html",
                      _case_edit_context(case, errors={exc.field: exc.message}), status_code=400)
    return render(request, "reading/case_edit.html", _case_edit_context(case, message="Published."))


# --- instructor: sets, assignments, cohort results ---------------------------------------------------------

def _sets_context(db: Session, user: User, **extra: Any) -> dict[str, Any]:
    cohorts = (list(db.scalars(select(Cohort).order_by(Cohort.name))) if user.role == Role.ADMIN
               else cohorts_taught_by(db, user))
    return {"sets": list(db.scalars(select(ReadingSet).order_by(ReadingSet.id))),
            "published": cases.find_cases(db, status=CaseStatus.PUBLISHED), "cohorts": cohorts,
            "modes": list(ReadingMode), "mode_labels": MODE_LABELS, "errors": {}, "message": "",
            "requirement_choices": evidence.choices(db, "interpretation"), "values": {},
            "default_pass_fom": sessions.DEFAULT_PASS_FOM, **extra}


@router.get("/reading/sets", response_class=HTMLResponse, include_in_schema=False)
def sets_page(request: Request, user: User = Depends(require_instructor), db: Session = DB) -> Response:
    return render(request, "reading/sets.html", _sets_context(db, user))


@router.post("/reading/sets", response_class=HTMLResponse, include_in_schema=False)
async def create_set(request: Request, user: User = Depends(require_instructor), db: Session = DB) -> Response:
    form = await request.form()
    try:
        reading_set = sessions.create_set(
            db, title=str(form.get("title", "")), description=str(form.get("description", "")),
            case_ids=[int(str(v)) for v in form.getlist("case_ids") if str(v).isdigit()],
            mode=str(form.get("mode", "practice")), open_to_all=form.get("open_to_all") == "on", created_by=user,
            requirement_ids=[str(v) for v in form.getlist("requirement_ids")], pass_fom=str(form.get("pass_fom", "")))
    except ValidationProblem as exc:
        values = {"requirement_ids": [str(v) for v in form.getlist("requirement_ids")],
                  "pass_fom": str(form.get("pass_fom", ""))}
        return render(request, "reading/sets.html",
                      _sets_context(db, user, errors={exc.field: exc.message}, values=values), status_code=400)
    return render(request, "reading/sets.html",
                  _sets_context(db, user, message=f"Reading set “{reading_set.title}” created."))


@router.post("/reading/sets/{set_id}/evidence", response_class=HTMLResponse, include_in_schema=False)
async def set_evidence(request: Request, set_id: int, user: User = Depends(require_instructor),
                       db: Session = DB) -> Response:
    """Change which competency requirements a set counts toward (its author or an admin)."""
    reading_set = db.get(ReadingSet, set_id)
    if reading_set is None:
        raise HTTPException(404, "No such reading set.")
    form = await request.form()
    ids = [str(v) for v in form.getlist("requirement_ids")]
    try:
        if user.role != Role.ADMIN and reading_set.created_by_id != user.id:
            raise ValidationProblem("requirement_ids", "Only the set's author or an administrator can change what "
                                                       "it counts toward.")
        sessions.set_evidence(db, reading_set, ids, str(form.get("pass_fom", "")))
    except ValidationProblem as exc:  # shown above the table, not beside the "New set" form's fields
        return render(request, "reading/sets.html",
                      _sets_context(db, user, errors={"evidence": f"{reading_set.title}: {exc.message}"}),
                      status_code=400)
    named = ", ".join(reading_set.requirement_ids) or "no requirement"
    return render(request, "reading/sets.html",
                  _sets_context(db, user, message=f"“{reading_set.title}” counts toward {named}."))


@router.post("/reading/sets/{set_id}/assign", response_class=HTMLResponse, include_in_schema=False)
def assign_set(request: Request, set_id: int, cohort_id: Annotated[str, Form()] = "",
               mode: Annotated[str, Form()] = "practice", user: User = Depends(require_instructor),
               db: Session = DB) -> Response:
    reading_set = db.get(ReadingSet, set_id)
    if reading_set is None:
        raise HTTPException(404, "No such reading set.")
    try:
        if not cohort_id.isdigit():
            raise ValidationProblem("cohort_id", "Choose a cohort.")
        sessions.assign_set(db, reading_set=reading_set, cohort_id=int(cohort_id), mode=mode, actor=user)
    except NotAllowed as exc:
        raise HTTPException(404, "No such cohort among those you teach.") from exc
    except ValidationProblem as exc:
        return render(request, "reading/sets.html", _sets_context(db, user, errors={exc.field: exc.message}),
                      status_code=400)
    return render(request, "reading/sets.html", _sets_context(db, user, message="Assigned."))


MAX_STUDY_BYTES = 5 * 1024 * 1024


@router.get("/reading/observer", response_class=HTMLResponse, include_in_schema=False)
def observer_page(request: Request, user: User = Depends(require_instructor)) -> Response:
    return render(request, "reading/observer.html", {"errors": {}, "report": None, "method": "or", "fom": "auc"})


@router.post("/reading/observer", response_class=HTMLResponse, include_in_schema=False)
async def observer_analyze(request: Request, study: Annotated[UploadFile | None, File()] = None,
                           method: Annotated[str, Form()] = "or", fom: Annotated[str, Form()] = "auc",
                           user: User = Depends(require_instructor)) -> Response:
    """MRMC analysis of an uploaded reader study (long-form CSV or JAFROC Excel), as `scanroom observer analyze`."""
    from scanroom.reading.observer import ObserverDataError, analyze, load

    context: dict[str, Any] = {"errors": {}, "report": None, "method": method, "fom": fom}
    try:
        if method not in ("or", "dbm") or fom not in ("auc", "wafroc"):
            raise ValidationProblem("method", "Method is or or dbm; figure of merit is auc or wafroc.")
        if study is None or not study.filename:
            raise ValidationProblem("study", "Choose a reader-study file (.csv or .xlsx).")
        data = await study.read(MAX_STUDY_BYTES + 1)
        if len(data) > MAX_STUDY_BYTES:
            raise ValidationProblem("study", "The file is larger than 5 MB.")
        suffix = Path(study.filename).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="scanroom-observer-") as tmp:
            path = Path(tmp) / (Path(study.filename).name or f"study{suffix}")  # errors then name the upload
            path.write_bytes(data)
            try:
                result = await run_in_threadpool(analyze, load(path), method=method, fom=fom)  # type: ignore[arg-type]
            except (ObserverDataError, ValueError) as exc:
                raise ValidationProblem("study", str(exc).replace(str(path), path.name)) from exc
    except ValidationProblem as exc:
        context["errors"] = {exc.field: exc.message}
        return render(request, "reading/observer.html", context, status_code=400)
    context["report"] = result.report()
    context["filename"] = study.filename
    return render(request, "reading/observer.html", context)


@router.get("/reading/cohorts/{cohort_id}", response_class=HTMLResponse, include_in_schema=False)
def cohort_results(request: Request, cohort_id: int, user: User = Depends(require_instructor),
                   db: Session = DB) -> Response:
    cohort = db.get(Cohort, cohort_id)
    if cohort is None or not can_manage_cohort(db, user, cohort_id):
        raise HTTPException(404, "No such cohort among those you teach.")
    report = analysis.cohort_report(db, cohort)
    chart = charts.line_chart([charts.Series(name, points) for name, points in report["froc"]],
                              title="Latest FROC curve per trainee", x_label="NLF", y_label="LLF",
                              x_max=max([x for _, pts in report["froc"] for x, _ in pts] + [1.0]))
    return render(request, "reading/cohort.html", {"cohort": cohort, "froc_chart": chart, **report})

