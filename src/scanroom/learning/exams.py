"""Exams: blueprinted fixed forms and adaptive tests, timed on the server, resumable, scored there.

Rules kept here, not in the web layer: the deadline is stored with the attempt when it starts (a reload or
a dropped connection resumes with the time still counting); answers and submissions after the deadline are
refused with a clear message, and the attempt is kept and scored on what was saved in time; keys never
leave the server before submission (pages get :func:`items.public_view`). Adaptive tests select each item
by maximum information at the current EAP estimate with randomesque + exposure-ceiling control
(``cat``), stop at the target SE or the item limit, and report θ with its SE and pass/fail at the cut.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem, can_manage_cohort
from scanroom.competency import evidence
from scanroom.learning import cat, generated, review
from scanroom.learning.content import Content, get_content
from scanroom.learning.irt import ItemParams
from scanroom.learning.items import Item, ItemProblem, score
from scanroom.store.models import Cohort, Enrolment, EnrolmentRole, User
from scanroom.store.models_learning import ClassroomAttempt, ClassroomExam, ClassroomItemParams, ClassroomResponse

__all__ = ["DeadlinePassed", "bank", "create_exam", "start_attempt", "save_answer", "submit", "remaining_s",
           "item", "current_items", "exams_for_trainee", "results_csv", "GRACE_S", "GENERATED_PER_TEMPLATE"]

GRACE_S = 2.0  # network latency allowance for a submission sent just before the deadline
GENERATED_PER_TEMPLATE = 12  # generated instances per template that exams may draw (seeds 1..N)
PROVISIONAL_B = {"entry": -1.0, "intermediate": 0.1, "advanced": 1.1}


class DeadlinePassed(ValueError):
    """An answer or submission arrived after the attempt's deadline (the attempt is kept and scored)."""


def now_utc() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def item(item_id: str, content: Content | None = None) -> Item:
    """An authored or generated item by id (raises ItemProblem if unknown)."""
    if generated.is_generated(item_id):
        return generated.item_for(item_id)
    found = (content or get_content()).items.get(item_id)
    if found is None:
        raise ItemProblem("item", f"No item {item_id!r}.")
    return found


def bank(content: Content | None = None) -> list[Item]:
    """Items exams may use: every valid authored item plus a fixed set of generated instances."""
    content = content or get_content()
    gen = [generated.generate(t, seed) for t in generated.TEMPLATES for seed in range(1, GENERATED_PER_TEMPLATE + 1)]
    return [*content.items.values(), *gen]


def _int(value: Any, field: str, lo: float, hi: float, label: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationProblem(field, f"{label} must be a whole number.") from None
    if not lo <= number <= hi:
        raise ValidationProblem(field, f"{label} must be between {lo:g} and {hi:g}.")
    return number


def create_exam(db: Session, actor: User, *, cohort_id: int, title: str, kind: str, blueprint: dict[str, Any],
                time_limit_min: Any, max_attempts: Any = 1, cut_score: Any = None, target_se: Any = 0.30,
                max_items: Any = 30, seed: int | None = None, content: Content | None = None,
                requirement_ids: Any = ()) -> ClassroomExam:
    """Build an exam for a cohort the actor teaches. Fixed forms draw N items per topic now (the form is
    stored, every trainee sits the same items); adaptive tests keep the pool and choose items live.
    ``requirement_ids``: requirements of the cohort's framework (accepting exam evidence) that a scored
    attempt counts toward (``competency.evidence``)."""
    if not can_manage_cohort(db, actor, cohort_id):
        raise NotAllowed("You can only build exams for cohorts you teach.")
    title = title.strip()
    if not title:
        raise ValidationProblem("title", "Give the exam a title.")
    if kind not in ("fixed", "adaptive"):
        raise ValidationProblem("kind", "Kind must be fixed or adaptive.")
    limit = _int(time_limit_min, "time_limit_min", 1, 600, "Time limit (minutes)")
    attempts = _int(max_attempts, "max_attempts", 1, 20, "Attempts")
    pool = bank(content)
    by_topic: dict[str, list[Item]] = {}
    for it in pool:
        by_topic.setdefault(it.topic, []).append(it)
    wanted = {str(k): _int(v, f"blueprint_{k}", 0, 200, f"Items for {k}") for k, v in blueprint.items()
              if str(v).strip() not in ("", "0")}
    if not wanted:
        raise ValidationProblem("blueprint", "Ask for at least one item in one topic.")
    for topic, n in wanted.items():
        if len(by_topic.get(topic, [])) < n:
            raise ValidationProblem(f"blueprint_{topic}", f"Only {len(by_topic.get(topic, []))} items on {topic} "
                                                          f"in the bank; asked for {n}.")
    rng = np.random.default_rng(seed)
    if kind == "fixed":
        chosen = [it.item_id for topic, n in wanted.items()
                  for it in (by_topic[topic][i] for i in rng.choice(len(by_topic[topic]), n, replace=False))]
        cut = float(cut_score if cut_score not in (None, "") else 60.0)
        if not 0 <= cut <= 100:
            raise ValidationProblem("cut_score", "Cut score of a fixed form is a percentage (0–100).")
        se, longest = 0.30, len(chosen)
    else:
        chosen = [it.item_id for topic in wanted for it in by_topic[topic]]
        try:
            cut = float(cut_score if cut_score not in (None, "") else 0.0)
            se = float(target_se)
        except (TypeError, ValueError):
            raise ValidationProblem("cut_score", "Cut score and target SE must be numbers.") from None
        if not -3 <= cut <= 3:
            raise ValidationProblem("cut_score", "Cut score of an adaptive test is a θ between −3 and 3.")
        if not 0.15 <= se <= 1.0:
            raise ValidationProblem("target_se", "Target SE must be between 0.15 and 1.0.")
        longest = _int(max_items, "max_items", 3, 200, "Maximum items")
    cohort = db.get(Cohort, cohort_id)
    counts_toward = evidence.check_requirement_ids(db, evidence.parse_ids(requirement_ids), "exam",
                                                   programme=cohort.programme if cohort else None)
    exam = ClassroomExam(title=title[:200], cohort_id=cohort_id, kind=kind, blueprint=wanted, item_ids=chosen,
                         time_limit_s=limit * 60, max_attempts=attempts, cut_score=cut, target_se=se,
                         max_items=longest, created_by_id=actor.id, requirement_ids=counts_toward)
    db.add(exam)
    db.flush()
    return exam


def exams_for_trainee(db: Session, user: User) -> list[ClassroomExam]:
    cohort_ids = select(Enrolment.cohort_id).where(Enrolment.user_id == user.id,
                                                   Enrolment.role == EnrolmentRole.TRAINEE)
    return list(db.scalars(select(ClassroomExam).where(ClassroomExam.cohort_id.in_(cohort_ids))
                           .order_by(ClassroomExam.created_at.desc())))


def may_sit(db: Session, user: User, exam: ClassroomExam) -> bool:
    return db.scalar(select(Enrolment.id).where(Enrolment.user_id == user.id, Enrolment.cohort_id == exam.cohort_id,
                                                Enrolment.role == EnrolmentRole.TRAINEE)) is not None


def attempts_of(db: Session, user: User, exam: ClassroomExam) -> list[ClassroomAttempt]:
    return list(db.scalars(select(ClassroomAttempt).where(ClassroomAttempt.exam_id == exam.id,
                                                          ClassroomAttempt.user_id == user.id)
                           .order_by(ClassroomAttempt.number)))


def open_exam_items(db: Session, user: User) -> set[str]:
    """Items of the person's open attempts (fixed: the form; adaptive: what has been shown)."""
    out: set[str] = set()
    for attempt, exam in db.execute(select(ClassroomAttempt, ClassroomExam)
                                    .join(ClassroomExam, ClassroomExam.id == ClassroomAttempt.exam_id)
                                    .where(ClassroomAttempt.user_id == user.id, ClassroomAttempt.status == "open")):
        out.update(exam.item_ids if exam.kind == "fixed" else attempt.administered or [])
    return out


def remaining_s(attempt: ClassroomAttempt, now: datetime) -> float:
    return max(0.0, (_aware(attempt.deadline_at) - now).total_seconds())


def _expire_if_due(db: Session, attempt: ClassroomAttempt, now: datetime) -> bool:
    """Close an open attempt whose deadline has passed (scored on the answers saved in time)."""
    if attempt.status == "open" and now > _aware(attempt.deadline_at) + timedelta(seconds=GRACE_S):
        _finalise(db, attempt, status="expired", at=_aware(attempt.deadline_at))
        return True
    return False


def start_attempt(db: Session, user: User, exam: ClassroomExam, now: datetime | None = None) -> ClassroomAttempt:
    """Resume the open attempt, or start a new one if attempts remain; the deadline is fixed now."""
    now = now or now_utc()
    if not may_sit(db, user, exam):
        raise NotAllowed("This exam is for another cohort.")
    previous = attempts_of(db, user, exam)
    for attempt in previous:
        _expire_if_due(db, attempt, now)
        if attempt.status == "open":
            return attempt
    if len(previous) >= exam.max_attempts:
        raise ValidationProblem("attempt", f"You have used all {exam.max_attempts} attempt(s) at this exam.")
    attempt = ClassroomAttempt(exam_id=exam.id, user_id=user.id, number=len(previous) + 1, status="open",
                               started_at=now, deadline_at=now + timedelta(seconds=exam.time_limit_s), answers={},
                               administered=[])
    db.add(attempt)
    db.flush()
    if exam.kind == "adaptive":
        _advance(db, exam, attempt)
    return attempt


def _params(db: Session, items: list[Item]) -> ItemParams:
    """Calibrated parameters where responses allowed calibration, else provisional ones by level."""
    stored = {p.item_id: p for p in db.scalars(select(ClassroomItemParams).where(
        ClassroomItemParams.item_id.in_([it.item_id for it in items])))}
    a = np.array([stored[it.item_id].a if it.item_id in stored else 1.0 for it in items])
    b = np.array([stored[it.item_id].b if it.item_id in stored else PROVISIONAL_B.get(it.level, 0.0) for it in items])
    c = np.array([stored[it.item_id].c if it.item_id in stored else 0.0 for it in items])
    return ItemParams(a, b, c)


def _adaptive_state(db: Session, exam: ClassroomExam, attempt: ClassroomAttempt
                    ) -> tuple[list[Item], ItemParams, cat.CatState]:
    pool = [item(i) for i in exam.item_ids]
    index = {it.item_id: n for n, it in enumerate(pool)}
    state = cat.CatState()
    for item_id in attempt.administered:
        if item_id in attempt.answers:
            state.administered.append(index[item_id])
            state.responses.append(float(attempt.answers[item_id]["correct"]))
    return pool, _params(db, pool), state


def _advance(db: Session, exam: ClassroomExam, attempt: ClassroomAttempt) -> None:
    """Adaptive: pick the next item, or finish when the SE target or the item limit is reached."""
    pool, params, state = _adaptive_state(db, exam, attempt)
    config = cat.CatConfig(target_se=exam.target_se, max_items=exam.max_items, cut_theta=exam.cut_score)
    _theta, se = state.estimate(params)
    if state.administered and cat.should_stop(state, se, config, len(pool)):
        _finalise(db, attempt, status="submitted", at=now_utc())
        return
    exposures = np.zeros(len(pool))
    sittings = db.scalar(select(func.count()).select_from(ClassroomAttempt)
                         .where(ClassroomAttempt.exam_id == exam.id)) or 1
    index = {it.item_id: n for n, it in enumerate(pool)}
    for administered in db.scalars(select(ClassroomAttempt.administered).where(ClassroomAttempt.exam_id == exam.id,
                                                                               ClassroomAttempt.id != attempt.id)):
        for item_id in administered or []:
            if item_id in index:
                exposures[index[item_id]] += 1
    rng = np.random.default_rng()
    chosen = cat.select_next(params, state, rng, config, exposures, int(sittings))
    if chosen is None:
        _finalise(db, attempt, status="submitted", at=now_utc())
        return
    attempt.administered = [*attempt.administered, pool[chosen].item_id]


def current_items(exam: ClassroomExam, attempt: ClassroomAttempt) -> list[Item]:
    """Items the trainee sees now: the whole form, or the adaptive test's current item."""
    if exam.kind == "fixed":
        return [item(i) for i in exam.item_ids]
    pending = [i for i in attempt.administered if i not in attempt.answers]
    return [item(i) for i in pending[-1:]]


def save_answer(db: Session, exam: ClassroomExam, attempt: ClassroomAttempt, item_id: str, response: Any,
                now: datetime | None = None) -> None:
    """Keep an answer (fixed: may be changed until submission; adaptive: final, and the next item is chosen)."""
    now = now or now_utc()
    if attempt.status != "open":
        raise ValidationProblem("attempt", "This attempt is already finished.")
    if _expire_if_due(db, attempt, now):
        raise DeadlinePassed(_late_message(attempt))
    allowed = {it.item_id for it in current_items(exam, attempt)}
    if item_id not in allowed:
        raise ValidationProblem("item", "That question is not part of this attempt (or was already answered).")
    it = item(item_id)
    result = score(it, response)  # raises ItemProblem for an unreadable response
    attempt.answers = {**attempt.answers, item_id: {"response": response, "correct": result.correct,
                                                     "score": result.score, "at": now.isoformat()}}
    if exam.kind == "adaptive":
        _advance(db, exam, attempt)


def _late_message(attempt: ClassroomAttempt) -> str:
    deadline = _aware(attempt.deadline_at).strftime("%H:%M:%S UTC")
    return (f"Time is up: the deadline was {deadline}, so this was not accepted. Your attempt is kept and scored "
            f"on the {len(attempt.answers)} answer(s) saved before the deadline.")


def submit(db: Session, exam: ClassroomExam, attempt: ClassroomAttempt, answers: dict[str, Any] | None = None,
           now: datetime | None = None) -> ClassroomAttempt:
    """Hand in (fixed forms may bring their last answers along). Late: refused, the attempt kept and scored."""
    now = now or now_utc()
    if attempt.status != "open":
        raise ValidationProblem("attempt", "This attempt is already finished.")
    if _expire_if_due(db, attempt, now):
        raise DeadlinePassed(_late_message(attempt))
    for item_id, response in (answers or {}).items():
        if response in (None, "", []):
            continue
        try:
            save_answer(db, exam, attempt, item_id, response, now)
        except ItemProblem:
            continue  # an unreadable answer counts as not answered
    _finalise(db, attempt, status="submitted", at=now)
    return attempt


def _finalise(db: Session, attempt: ClassroomAttempt, *, status: str, at: datetime) -> None:
    exam = db.get(ClassroomExam, attempt.exam_id)
    assert exam is not None
    attempt.status = status
    attempt.submitted_at = at
    user = db.get(User, attempt.user_id)
    asked = exam.item_ids if exam.kind == "fixed" else [i for i in attempt.administered if i in attempt.answers]
    right = sum(1 for i in asked if attempt.answers.get(i, {}).get("correct"))
    attempt.score = 100.0 * right / len(asked) if asked else 0.0
    if exam.kind == "adaptive":
        pool, params, state = _adaptive_state(db, exam, attempt)
        theta, se = state.estimate(params)
        attempt.theta, attempt.se = theta, se
        attempt.passed = theta >= exam.cut_score
    else:
        attempt.passed = attempt.score >= exam.cut_score
    _file_evidence(db, exam, attempt)
    for item_id in asked:
        answer = attempt.answers.get(item_id)
        correct = bool(answer and answer.get("correct"))
        db.add(ClassroomResponse(user_id=attempt.user_id, item_id=item_id, context="exam", attempt_id=attempt.id,
                                 response=answer.get("response") if answer else None, correct=correct,
                                 score=float(answer.get("score", 0.0)) if answer else 0.0, created_at=at))
        if not correct and user is not None:
            review.add_missed(db, user, item_id, at)


def set_evidence(db: Session, exam: ClassroomExam, requirement_ids: Any) -> ClassroomExam:
    """Name the requirements of the cohort's framework (accepting exam evidence) that later attempts count toward."""
    cohort = db.get(Cohort, exam.cohort_id)
    exam.requirement_ids = evidence.check_requirement_ids(db, evidence.parse_ids(requirement_ids), "exam",
                                                          programme=cohort.programme if cohort else None)
    db.flush()
    return exam


def _file_evidence(db: Session, exam: ClassroomExam, attempt: ClassroomAttempt) -> None:
    """A scored attempt of an exam that names requirements becomes exam evidence. Fixed form: score = percent
    correct, passed at the cut. Adaptive: percent correct means little when each item is chosen where the
    candidate answers right about half the time (2PL information peaks at P = ½; Lord 1980, *Applications of
    Item Response Theory*), so no score; passed = θ ≥ cut, with θ, its SE and the cut in the reference."""
    if not exam.requirement_ids:
        return
    ref = f"exam-attempt:{attempt.id} {exam.title}"[:120]
    if exam.kind == "adaptive" and attempt.theta is not None:
        ref = f"exam-attempt:{attempt.id} theta={attempt.theta:.2f} se={attempt.se or 0:.2f} " \
              f"cut={exam.cut_score:.2f} {exam.title}"[:200]
    evidence.record_result(db, attempt.user_id, exam.requirement_ids, "exam", ref,
                           attempt.score if exam.kind == "fixed" else None, bool(attempt.passed),
                           attempt.submitted_at)


@dataclass(frozen=True)
class ResultRow:
    username: str
    full_name: str
    attempt: int
    status: str
    score: float | None
    theta: float | None
    se: float | None
    passed: bool | None
    started_at: datetime
    submitted_at: datetime | None


def cohort_results(db: Session, exam: ClassroomExam) -> list[ResultRow]:
    rows = db.execute(select(ClassroomAttempt, User).join(User, User.id == ClassroomAttempt.user_id)
                      .where(ClassroomAttempt.exam_id == exam.id)
                      .order_by(User.username, ClassroomAttempt.number)).all()
    for attempt, _user in rows:
        _expire_if_due(db, attempt, now_utc())
    return [ResultRow(u.username, u.full_name, a.number, a.status, a.score, a.theta, a.se, a.passed, a.started_at,
                      a.submitted_at) for a, u in rows]


def results_csv(db: Session, exam: ClassroomExam) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["exam", "kind", "username", "full_name", "attempt", "status", "score_percent", "theta", "se",
                     "passed", "started_at", "submitted_at"])
    for r in cohort_results(db, exam):
        writer.writerow([exam.title, exam.kind, r.username, r.full_name, r.attempt, r.status,
                         "" if r.score is None else f"{r.score:.1f}", "" if r.theta is None else f"{r.theta:.3f}",
                         "" if r.se is None else f"{r.se:.3f}",
                         "" if r.passed is None else ("yes" if r.passed else "no"),
                         _aware(r.started_at).isoformat(), r.submitted_at and _aware(r.submitted_at).isoformat()])
    return buffer.getvalue()


def exam_visible_to_instructor(db: Session, user: User, exam_id: int) -> ClassroomExam | None:
    exam = db.get(ClassroomExam, exam_id)
    if exam is None or not can_manage_cohort(db, user, exam.cohort_id):
        return None
    return exam


def seed_demo_exams(db: Session, cohort: Cohort, instructor: User | None = None) -> int:
    """The demo cohort's two exams (a 12-item blueprinted fixed form, 20 minutes; an adaptive test to SE 0.30),
    built by the cohort's instructor. Idempotent: returns how many were created."""
    instructor = instructor or db.scalar(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.cohort_id == cohort.id, Enrolment.role == EnrolmentRole.INSTRUCTOR).order_by(User.id))
    if instructor is None:
        return 0
    made = 0
    existing = set(db.scalars(select(ClassroomExam.title).where(ClassroomExam.cohort_id == cohort.id)))
    pool_topics = {it.topic for it in bank()}
    blueprint = {t: n for t, n in (("physics", 6), ("acquisition", 3), ("radiation-safety", 3)) if t in pool_topics}
    if "Physics check (fixed form)" not in existing and blueprint:
        create_exam(db, instructor, cohort_id=cohort.id, title="Physics check (fixed form)", kind="fixed",
                    blueprint=blueprint, time_limit_min=20, max_attempts=2, cut_score=60, seed=2026)
        made += 1
    if "Adaptive test (all topics)" not in existing:
        create_exam(db, instructor, cohort_id=cohort.id, title="Adaptive test (all topics)", kind="adaptive",
                    blueprint={t: 1 for t in sorted(pool_topics)}, time_limit_min=30, max_attempts=3, cut_score=0.0,
                    target_se=0.30, max_items=30)
        made += 1
    return made
