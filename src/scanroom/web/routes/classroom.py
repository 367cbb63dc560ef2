"""The Classroom: curriculum and lessons, practice with feedback, spaced review, timed exams (fixed and
adaptive), and the instructor's item analysis, exam builder and results.

Routes stay thin: the rules live in ``scanroom.learning`` (exams, practice, review, stats). Keys and
explanations reach the browser only in the response to a submission.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from scanroom.accounts.service import NotAllowed, ValidationProblem, cohorts_taught_by
from scanroom.competency import evidence
from scanroom.learning import exams, generated, images, practice, review, stats
from scanroom.learning.content import Content, Lesson, find_fact, get_content
from scanroom.learning.items import (
    TOPICS,
    Item,
    ItemProblem,
    describe_response,
    public_view,
    response_from_form,
)
from scanroom.learning.progress import record
from scanroom.store.models import Enrolment, Programme, Role, User
from scanroom.store.models_learning import ClassroomAttempt, ClassroomExam, ClassroomReviewCard
from scanroom.web.deps import DB, current_user, require_instructor
from scanroom.web.templating import render

router = APIRouter()


def _now() -> datetime:
    return datetime.now(UTC)


def _content() -> Content:
    return get_content()


def _markdown(lesson: Lesson) -> str:
    """Lesson body → HTML (CommonMark, raw HTML off); lesson: links and figures become Classroom URLs."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = lesson.body.replace("](lesson:", "](/classroom/lessons/")
    body = body.replace("](figures/", f"](/classroom/lessons/{lesson.lesson_id}/figures/")
    return md.render(body)


def _item_or_404(item_id: str) -> Item:
    try:
        return exams.item(item_id)
    except ItemProblem:
        raise HTTPException(404, "No such item.") from None


def _saved_fields(item: Item, response: Any) -> dict[str, Any]:
    """A saved response as form values, so a reloaded exam page shows what was answered."""
    if response is None:
        return {}
    if item.type == "single":
        return {"answer": [str(response)]}
    if item.type == "multiple":
        return {"answer": [str(v) for v in response]}
    if item.type == "ordering":
        return {f"position_{i}": str(pos + 1) for pos, i in enumerate(response)}
    if item.type == "hotspot":
        return {"answer_x": response.get("x"), "answer_y": response.get("y")}
    if item.type == "labelling":
        return {f"marker_{m}": name for m, name in enumerate(response)}
    return {"answer": response}


def _view(item: Item, saved: Any = None) -> dict[str, Any]:
    view = public_view(item)
    view["saved"] = _saved_fields(item, saved)
    if item.type in ("hotspot", "labelling"):
        width, height = images.size(item)
        view["width"], view["height"] = width, height
    return view


# ------------------------------------------------------------------------------------------ home, lessons


def _programme_modules(db: Session, user: User, content: Content) -> list[tuple[str, list[Any]]]:
    programmes = list(db.scalars(select(Programme).join(Programme.cohorts).join(Enrolment)
                                 .where(Enrolment.user_id == user.id).distinct()))
    if not programmes:
        return [("All modules", list(content.modules.values()))]
    return [(p.name, content.modules_for(p.modality.value, p.level)) for p in programmes]


@router.get("/classroom", response_class=HTMLResponse, include_in_schema=False)
def classroom_home(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    content = _content()
    now = _now()
    context: dict[str, Any] = {"content": content, "plans": _programme_modules(db, user, content),
                               "templates": generated.TEMPLATES, "topics": TOPICS}
    if user.role == Role.TRAINEE:
        context["due"] = len(review.due_cards(db, user, now))
        context["exams"] = [(e, exams.attempts_of(db, user, e)) for e in exams.exams_for_trainee(db, user)]
        context["objectives"] = [p for p in practice.progress_by_objective(db, user, content) if p.answered]
    return render(request, "classroom/home.html", context)


@router.get("/classroom/lessons/{lesson_id}", response_class=HTMLResponse, include_in_schema=False)
def lesson_page(request: Request, lesson_id: str, user: User = Depends(current_user), db: Session = DB) -> Response:
    content = _content()
    lesson = content.lessons.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, "No such lesson.")
    record(db, user, "lesson", lesson_id)
    counts = {o.objective_id: len(content.items_for_objective(o.objective_id)) for o in lesson.objectives}
    return render(request, "classroom/lesson.html", {"lesson": lesson, "html": _markdown(lesson), "counts": counts,
                                                     "module": content.modules.get(lesson.module)})


@router.get("/classroom/lessons/{lesson_id}/figures/{name}", include_in_schema=False)
def lesson_figure(lesson_id: str, name: str, user: User = Depends(current_user)) -> Response:
    content = _content()
    lesson = content.lessons.get(lesson_id)
    if lesson is None or "/" in name or name.startswith("."):
        raise HTTPException(404, "No such figure.")
    folder = (content.root / "lessons" / lesson.module / "figures").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        raise HTTPException(404, "No such figure.")
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(path.read_bytes(), media_type=media, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/classroom/items/{item_id}/image.png", include_in_schema=False)
async def item_image(item_id: str, user: User = Depends(current_user)) -> Response:
    """The item's picture (no structure names or masks: the key stays on the server)."""
    item = _item_or_404(item_id)
    try:
        if item.extra.get("template") == "mri-contrast":
            data = await run_in_threadpool(generated.mri_image_png, item)
        elif item.image is not None:
            data = await run_in_threadpool(images.png, item)
        else:
            raise HTTPException(404, "This item has no image.")
    except ItemProblem as problem:
        raise HTTPException(404, problem.message) from None
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


# ------------------------------------------------------------------------------------------------ practice


@router.get("/classroom/practice", response_class=HTMLResponse, include_in_schema=False)
def practice_page(request: Request, objective: str = "", topic: str = "", template: str = "",
                  user: User = Depends(current_user)) -> Response:
    content = _content()
    if template and template not in generated.TEMPLATES:
        raise HTTPException(404, "No such template.")
    item = practice.next_item(content, objective=objective, topic=topic, template=template)
    if item is None:
        return render(request, "classroom/practice.html", {"item": None, "objective": objective, "topic": topic,
                                                           "template": template})
    return render(request, "classroom/practice.html", {"item": _view(item), "objective": objective, "topic": topic,
                                                       "template": template})


@router.post("/classroom/practice", response_class=HTMLResponse, include_in_schema=False)
async def practice_answer(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    form = await request.form()
    item = _item_or_404(str(form.get("item_id", "")))
    back = {k: str(form.get(k, "")) for k in ("objective", "topic", "template")}
    try:
        response = response_from_form(item, form)
        _it, result = practice.answer(db, user, item.item_id, response, _now())
    except (ItemProblem, ValueError) as problem:
        message = problem.message if isinstance(problem, ItemProblem) else "Answer in the form asked."
        return render(request, "classroom/practice.html", {"item": _view(item), "error": message, **back},
                      status_code=422)
    return render(request, "classroom/practice.html", {
        "item": _view(item, response), "result": result, "explanation": item.explanation, "source": item.source,
        "given": describe_response(item, response), **back})


# -------------------------------------------------------------------------------------------------- review


def _card_or_404(db: Session, user: User, card_id: int) -> ClassroomReviewCard:
    card = db.get(ClassroomReviewCard, card_id)
    if card is None or card.user_id != user.id:
        raise HTTPException(404, "No such review card.")
    return card


@router.post("/classroom/lessons/{lesson_id}/facts", include_in_schema=False)
def lesson_facts(lesson_id: str, user: User = Depends(current_user), db: Session = DB) -> Response:
    """Put the lesson's key facts in the person's spaced-review queue (due now)."""
    lesson = _content().lessons.get(lesson_id)
    if lesson is None:
        raise HTTPException(404, "No such lesson.")
    now = _now()
    for number in range(1, len(lesson.key_facts) + 1):
        review.add_missed(db, user, f"fact:{lesson.lesson_id}:{number}", now)
    return RedirectResponse("/classroom/review", status_code=303)


def _fact(card: ClassroomReviewCard) -> dict[str, str] | None:
    found = find_fact(_content(), card.item_id)
    if found is None:
        return None
    lesson, _number, front, back = found
    return {"lesson_id": lesson.lesson_id, "lesson": lesson.title, "front": front, "back": back}


@router.get("/classroom/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request, user: User = Depends(current_user), db: Session = DB) -> Response:
    due = review.due_cards(db, user, _now())
    card, item, fact = None, None, None
    for candidate in due:  # skip cards whose item or fact has since been removed from the content
        fact = _fact(candidate) if candidate.item_id.startswith("fact:") else None
        try:
            item = None if fact else _view(exams.item(candidate.item_id))
        except ItemProblem:
            continue
        card = candidate
        break
    return render(request, "classroom/review.html", {"card": card, "item": item, "fact": fact, "due": len(due),
                                                     "next_due": review.next_due(db, user)})


@router.post("/classroom/review/{card_id}", response_class=HTMLResponse, include_in_schema=False)
async def review_answer(request: Request, card_id: int, user: User = Depends(current_user),
                        db: Session = DB) -> Response:
    card = _card_or_404(db, user, card_id)
    form = await request.form()
    fact = _fact(card) if card.item_id.startswith("fact:") else None
    if fact is not None:  # a key fact: reveal the back, then the trainee rates their own recall
        if not form.get("rating"):
            return render(request, "classroom/review.html", {"card": card, "fact": fact, "revealed": True,
                                                             "due": len(review.due_cards(db, user, _now()))})
        try:
            review.review(db, card, str(form.get("rating")), _now())
        except ValidationProblem as problem:
            raise HTTPException(422, problem.message) from None
        return RedirectResponse("/classroom/review", status_code=303)
    item = _item_or_404(card.item_id)
    from scanroom.learning.items import score

    try:
        response = response_from_form(item, form)
        result = score(item, response)
    except (ItemProblem, ValueError) as problem:
        message = problem.message if isinstance(problem, ItemProblem) else "Answer in the form asked."
        return render(request, "classroom/review.html", {"card": card, "item": _view(item), "error": message,
                                                         "due": 1}, status_code=422)
    rating = str(form.get("rating") or ("good" if result.correct else "again"))
    if not result.correct:
        rating = "again"
    try:
        review.review(db, card, rating, _now())
    except ValidationProblem as problem:
        raise HTTPException(422, problem.message) from None
    from scanroom.store.models_learning import ClassroomResponse

    db.add(ClassroomResponse(user_id=user.id, item_id=item.item_id, context="review", response=response,
                             correct=result.correct, score=result.score, created_at=_now()))
    return render(request, "classroom/review.html", {
        "card": card, "item": _view(item, response), "result": result, "explanation": item.explanation,
        "given": describe_response(item, response), "due": len(review.due_cards(db, user, _now())),
        "rated": rating, "next_due": card.due_at})


# --------------------------------------------------------------------------------------------------- exams


def _exam_for_trainee_or_404(db: Session, user: User, exam_id: int) -> ClassroomExam:
    exam = db.get(ClassroomExam, exam_id)
    if exam is None or not exams.may_sit(db, user, exam):
        raise HTTPException(404, "No such exam for you.")
    return exam


def _attempt_or_404(db: Session, user: User, attempt_id: int) -> tuple[ClassroomExam, ClassroomAttempt]:
    attempt = db.get(ClassroomAttempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise HTTPException(404, "No such attempt.")
    exam = db.get(ClassroomExam, attempt.exam_id)
    assert exam is not None
    return exam, attempt


@router.get("/classroom/exams/{exam_id}", response_class=HTMLResponse, include_in_schema=False)
def exam_page(request: Request, exam_id: int, user: User = Depends(current_user), db: Session = DB) -> Response:
    if user.role != Role.TRAINEE:
        exam = exams.exam_visible_to_instructor(db, user, exam_id)
        if exam is None:
            raise HTTPException(404, "No such exam among your cohorts.")
        return RedirectResponse(f"/classroom/instructor/exams/{exam.id}", status_code=303)
    exam = _exam_for_trainee_or_404(db, user, exam_id)
    return render(request, "classroom/exam.html", {"exam": exam, "attempts": exams.attempts_of(db, user, exam)})


@router.post("/classroom/exams/{exam_id}/start", include_in_schema=False)
def exam_start(request: Request, exam_id: int, user: User = Depends(current_user), db: Session = DB) -> Response:
    exam = _exam_for_trainee_or_404(db, user, exam_id)
    try:
        attempt = exams.start_attempt(db, user, exam, _now())
    except NotAllowed:
        raise HTTPException(404, "No such exam for you.") from None
    except ValidationProblem as problem:
        return render(request, "classroom/exam.html", {"exam": exam, "attempts": exams.attempts_of(db, user, exam),
                                                       "error": problem.message}, status_code=409)
    return RedirectResponse(f"/classroom/attempts/{attempt.id}", status_code=303)


def _result_context(exam: ClassroomExam, attempt: ClassroomAttempt) -> dict[str, Any]:
    asked = exam.item_ids if exam.kind == "fixed" else [i for i in attempt.administered if i in attempt.answers]
    rows = []
    for item_id in asked:
        try:
            item = exams.item(item_id)
        except ItemProblem:
            continue
        answer = attempt.answers.get(item_id) or {}
        from scanroom.learning.items import score

        expected = ""
        try:
            expected = score(item, answer["response"]).expected if answer else ""
        except (ItemProblem, KeyError):
            expected = ""
        if not expected:
            expected = _expected_text(item)
        rows.append({"item": public_view(item), "given": describe_response(item, answer.get("response")),
                     "correct": bool(answer.get("correct")), "expected": expected,
                     "explanation": item.explanation, "source": item.source})
    return {"exam": exam, "attempt": attempt, "rows": rows}


def _expected_text(item: Item) -> str:
    if item.type == "single":
        return item.options[item.key]
    if item.type == "multiple":
        return "; ".join(item.options[i] for i in sorted(item.key))
    if item.type == "ordering":
        return " → ".join(item.options[i] for i in item.key)
    if item.type == "numeric":
        return str(item.key.describe())
    if item.type == "hotspot":
        return f"the {item.key}"
    return ", ".join(item.key)


@router.get("/classroom/attempts/{attempt_id}", response_class=HTMLResponse, include_in_schema=False)
def attempt_page(request: Request, attempt_id: int, user: User = Depends(current_user), db: Session = DB) -> Response:
    exam, attempt = _attempt_or_404(db, user, attempt_id)
    now = _now()
    exams._expire_if_due(db, attempt, now)
    if attempt.status != "open":
        return render(request, "classroom/result.html", _result_context(exam, attempt))
    items = [(_view(it, (attempt.answers.get(it.item_id) or {}).get("response")), n)
             for n, it in enumerate(exams.current_items(exam, attempt))]
    return render(request, "classroom/attempt.html", {
        "exam": exam, "attempt": attempt, "items": items, "remaining": exams.remaining_s(attempt, now),
        "deadline": exams._aware(attempt.deadline_at).isoformat(), "answered": len(attempt.answers)})


def _fields_for(form: Any, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in set(form.keys()):
        if key.startswith(prefix):
            values = form.getlist(key)
            out[key[len(prefix):]] = values if len(values) > 1 else values[0]
    return out


class _Fields(dict):  # type: ignore[type-arg]
    """A dict that answers getlist like a form (JSON autosave sends lists for checkboxes)."""

    def getlist(self, key: str) -> list[Any]:
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


@router.post("/classroom/attempts/{attempt_id}/answer", include_in_schema=False)
async def attempt_answer(request: Request, attempt_id: int, user: User = Depends(current_user),
                         db: Session = DB) -> Response:
    """Adaptive tests: answer the current item (final), then the next item is chosen."""
    exam, attempt = _attempt_or_404(db, user, attempt_id)
    form = await request.form()
    item = _item_or_404(str(form.get("item_id", "")))
    try:
        response = response_from_form(item, _Fields(_fields_for(form, "q0_")))
        exams.save_answer(db, exam, attempt, item.item_id, response, _now())
    except exams.DeadlinePassed as late:
        return render(request, "classroom/result.html", {**_result_context(exam, attempt), "error": str(late)},
                      status_code=409)
    except (ItemProblem, ValidationProblem) as problem:
        now = _now()
        return render(request, "classroom/attempt.html", {
            "exam": exam, "attempt": attempt, "items": [(_view(item), 0)], "error": problem.message,
            "remaining": exams.remaining_s(attempt, now), "deadline": exams._aware(attempt.deadline_at).isoformat(),
            "answered": len(attempt.answers)}, status_code=422)
    return RedirectResponse(f"/classroom/attempts/{attempt.id}", status_code=303)


@router.post("/classroom/attempts/{attempt_id}/submit", include_in_schema=False)
async def attempt_submit(request: Request, attempt_id: int, user: User = Depends(current_user),
                         db: Session = DB) -> Response:
    exam, attempt = _attempt_or_404(db, user, attempt_id)
    form = await request.form()
    answers: dict[str, Any] = {}
    if exam.kind == "fixed" and attempt.status == "open":
        for n, it in enumerate(exams.current_items(exam, attempt)):
            fields = _Fields(_fields_for(form, f"q{n}_"))
            if fields:
                try:
                    answers[it.item_id] = response_from_form(it, fields)
                except (ValueError, TypeError):
                    continue
    try:
        exams.submit(db, exam, attempt, answers, _now())
    except exams.DeadlinePassed as late:
        return render(request, "classroom/result.html", {**_result_context(exam, attempt), "error": str(late)},
                      status_code=409)
    except ValidationProblem as problem:
        return render(request, "classroom/result.html", {**_result_context(exam, attempt), "error": problem.message},
                      status_code=409)
    return RedirectResponse(f"/classroom/attempts/{attempt.id}", status_code=303)


# ---------------------------------------------------------------------------------------------- instructor


def _instructor_context(db: Session, user: User) -> dict[str, Any]:
    content = _content()
    cohorts = cohorts_taught_by(db, user)
    exam_rows = list(db.scalars(select(ClassroomExam).where(ClassroomExam.cohort_id.in_([c.id for c in cohorts]))
                                .order_by(ClassroomExam.created_at.desc()))) if cohorts else []
    items = {i.item_id: i for i in exams.bank(content)}
    analysis = stats.item_analysis(db, items)
    topics = sorted({i.topic for i in items.values()})
    available = {t: sum(1 for i in items.values() if i.topic == t) for t in topics}
    return {"cohorts": cohorts, "exams": exam_rows, "analysis": analysis, "items": items, "topics": topics,
            "available": available, "errors": {}, "values": {}, "content": content,
            "templates": generated.TEMPLATES,
            "requirement_choices": evidence.choices(db, "exam", [c.programme for c in cohorts])}


@router.get("/classroom/instructor", response_class=HTMLResponse, include_in_schema=False)
def instructor_page(request: Request, user: User = Depends(require_instructor), db: Session = DB) -> Response:
    return render(request, "classroom/instructor.html", _instructor_context(db, user))


@router.post("/classroom/instructor/exams", response_class=HTMLResponse, include_in_schema=False)
async def instructor_build_exam(request: Request, user: User = Depends(require_instructor),
                                db: Session = DB) -> Response:
    raw_form = await request.form()
    form = {k: str(v) for k, v in raw_form.items()}
    requirement_ids = [str(v) for v in raw_form.getlist("requirement_ids")]
    blueprint = {k.removeprefix("blueprint_"): v for k, v in form.items() if k.startswith("blueprint_")}
    try:
        cohort_id = int(form.get("cohort_id", ""))
    except ValueError:
        cohort_id = -1
    try:
        exam = exams.create_exam(db, user, cohort_id=cohort_id, title=form.get("title", ""),
                                 kind=form.get("kind", "fixed"), blueprint=blueprint,
                                 time_limit_min=form.get("time_limit_min", ""),
                                 max_attempts=form.get("max_attempts", "1"), cut_score=form.get("cut_score"),
                                 target_se=form.get("target_se") or 0.30, max_items=form.get("max_items") or 30,
                                 requirement_ids=requirement_ids)
    except (ValidationProblem, NotAllowed) as problem:
        field = problem.field if isinstance(problem, ValidationProblem) else "cohort_id"
        message = problem.message if isinstance(problem, ValidationProblem) else str(problem)
        context = _instructor_context(db, user)
        context.update({"errors": {field: message}, "values": {**form, "requirement_ids": requirement_ids}})
        return render(request, "classroom/instructor.html", context, status_code=400)
    return RedirectResponse(f"/classroom/instructor/exams/{exam.id}", status_code=303)


def _instructor_exam_or_404(db: Session, user: User, exam_id: int) -> ClassroomExam:
    exam = exams.exam_visible_to_instructor(db, user, exam_id)
    if exam is None:
        raise HTTPException(404, "No such exam among your cohorts.")
    return exam


@router.get("/classroom/instructor/exams/{exam_id}", response_class=HTMLResponse, include_in_schema=False)
def instructor_exam(request: Request, exam_id: int, user: User = Depends(require_instructor),
                    db: Session = DB) -> Response:
    exam = _instructor_exam_or_404(db, user, exam_id)
    rows = exams.cohort_results(db, exam)
    items = [exams.item(i) for i in exam.item_ids[:200]] if exam.kind == "fixed" else []
    return render(request, "classroom/instructor_exam.html", {"exam": exam, "rows": rows, "items": items})


@router.get("/classroom/instructor/exams/{exam_id}/results.csv", include_in_schema=False)
def instructor_exam_csv(exam_id: int, user: User = Depends(require_instructor), db: Session = DB) -> Response:
    exam = _instructor_exam_or_404(db, user, exam_id)
    return Response(exams.results_csv(db, exam), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="exam-{exam.id}-results.csv"'})


@router.post("/classroom/instructor/calibrate", include_in_schema=False)
def instructor_calibrate(request: Request, user: User = Depends(require_instructor), db: Session = DB) -> Response:
    """Fit 2PL parameters for items with enough exam responses (stats.MIN_IRT_RESPONSES)."""
    try:
        count = stats.calibrate_bank(db)
    except ItemProblem as problem:
        raise HTTPException(422, problem.message) from None
    context = _instructor_context(db, user)
    context["notice"] = (f"Calibrated {count} item(s)." if count else
                         f"No item has {stats.MIN_IRT_RESPONSES} exam responses yet; nothing calibrated.")
    return render(request, "classroom/instructor.html", context)


# ------------------------------------------------------------------------------------------------ JSON API


@router.get("/api/v1/classroom/lessons")
def api_lessons(user: User = Depends(current_user)) -> list[dict[str, Any]]:
    """Lessons with their objectives and links into the scan room and reading room."""
    content = _content()
    return [{"id": lesson.lesson_id, "title": lesson.title, "module": lesson.module, "level": lesson.level,
             "minutes": lesson.minutes, "try_it": lesson.try_it_url, "read_it": lesson.read_it_url,
             "objectives": [{"id": o.objective_id, "text": o.text, "competencies": list(o.competencies)}
                            for o in lesson.objectives]} for lesson in content.lessons.values()]


@router.get("/api/v1/classroom/attempts/{attempt_id}")
def api_attempt(attempt_id: int, user: User = Depends(current_user), db: Session = DB) -> dict[str, Any]:
    """Remaining time (from the stored deadline) and what has been answered; no keys."""
    exam, attempt = _attempt_or_404(db, user, attempt_id)
    now = _now()
    exams._expire_if_due(db, attempt, now)
    return {"id": attempt.id, "exam": exam.title, "status": attempt.status, "remaining_s": exams.remaining_s(attempt,
            now), "deadline": exams._aware(attempt.deadline_at).isoformat(), "answered": sorted(attempt.answers)}


@router.put("/api/v1/classroom/attempts/{attempt_id}/answers/{item_id}")
def api_save_answer(attempt_id: int, item_id: str, body: dict[str, Any] = Body(default_factory=dict),
                    user: User = Depends(current_user), db: Session = DB) -> Response:
    """Autosave one answer of a fixed form (``{"fields": {name: value}}`` as the page's inputs)."""
    exam, attempt = _attempt_or_404(db, user, attempt_id)
    if exam.kind != "fixed":
        return JSONResponse({"detail": "Adaptive tests take answers one at a time on the page."}, status_code=409)
    item = _item_or_404(item_id)
    fields = body.get("fields")
    if not isinstance(fields, dict):
        return JSONResponse({"detail": [{"field": "fields", "message": "Send {\"fields\": {...}}."}],
                             "message": "Invalid request — fields: missing"}, status_code=422)
    try:
        response = response_from_form(item, _Fields(fields))
        exams.save_answer(db, exam, attempt, item.item_id, response, _now())
    except exams.DeadlinePassed as late:
        return JSONResponse({"detail": str(late)}, status_code=409)
    except (ItemProblem, ValidationProblem) as problem:
        return JSONResponse({"detail": [{"field": problem.field, "message": problem.message}],
                             "message": problem.message}, status_code=422)
    except (ValueError, TypeError):
        return JSONResponse({"detail": [{"field": "fields", "message": "Unreadable answer."}],
                             "message": "Unreadable answer."}, status_code=422)
    return JSONResponse({"saved": item.item_id, "remaining_s": exams.remaining_s(attempt, _now())})


@router.get("/api/v1/classroom/exams/{exam_id}/results")
def api_exam_results(exam_id: int, user: User = Depends(require_instructor), db: Session = DB) -> list[dict]:
    exam = _instructor_exam_or_404(db, user, exam_id)
    return [{"username": r.username, "attempt": r.attempt, "status": r.status, "score": r.score, "theta": r.theta,
             "se": r.se, "passed": r.passed} for r in exams.cohort_results(db, exam)]
