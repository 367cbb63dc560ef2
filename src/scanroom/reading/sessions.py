"""Reading sets and sessions: who may read what, opening and submitting cases, scoring and feedback.

The flow a trainee follows: start a session on a set (assigned to their cohort or open for practice) → open
each case (timing starts) → mark suspected lesions with a confidence rating and choose a diagnosis → submit.
Scoring uses the lesion-localisation rules of ``reading.scoring`` (a mark inside a lesion's acceptance region
localises it; every other mark is a false positive; Chakraborty 2017, *Observer Performance Methods for
Diagnostic Imaging*). In practice and AI-assisted modes feedback follows each case; in test mode only the
finished session shows it. Truth is read here and only handed to views after submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import NotAllowed, ValidationProblem, cohorts_taught_by
from scanroom.competency import evidence
from scanroom.reading.scoring import CaseOutcome, Lesion, Mark, localise, summarise
from scanroom.store.models import Cohort, Enrolment, EnrolmentRole, Role, User
from scanroom.store.models_reading import (
    Case,
    CaseReading,
    CaseStatus,
    ReadingAssignment,
    ReadingMode,
    ReadingSession,
    ReadingSet,
    ReadingSetCase,
)

DEFAULT_PASS_FOM = 0.70
"""Default pass mark of a set that counts toward competency: wAFROC figure of merit ≥ 0.70. No body publishes a
pass mark for trainees' wAFROC; the FOM is an AUC-like probability, and 0.70 is where Hosmer, Lemeshow &
Sturdivant (*Applied Logistic Regression*, 3rd ed., 2013, §5.2.4) put "acceptable" discrimination. Each set
stores its own, so a programme sets the mark it defends."""
RATING_SCALE = (1, 2, 3, 4, 5)  # 1 = probably not a lesion … 5 = definitely a lesion (FROC confidence)
MAX_MARKS = 20


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- sets and assignments --------------------------------------------------------------------------------

def create_set(db: Session, *, title: str, case_ids: Sequence[int], mode: ReadingMode | str = ReadingMode.PRACTICE,
               description: str = "", open_to_all: bool = False, created_by: User | None = None,
               requirement_ids: Sequence[str] = (), pass_fom: float | str | None = None) -> ReadingSet:
    """A playlist of published cases, in the given order; optionally counting toward competency requirements
    (test-mode sessions then file interpretation evidence, see :func:`set_evidence`)."""
    if not title.strip():
        raise ValidationProblem("title", "Give the reading set a title.")
    try:
        mode = ReadingMode(mode)
    except ValueError as exc:
        raise ValidationProblem("mode", "Mode is practice, test or ai.") from exc
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise ValidationProblem("case_ids", "Choose at least one case.")
    cases = {c.id: c for c in db.scalars(select(Case).where(Case.id.in_(ids)))}
    missing = [i for i in ids if i not in cases]
    if missing:
        raise ValidationProblem("case_ids", f"No case with id {missing[0]}.")
    drafts = [cases[i].key for i in ids if cases[i].status != CaseStatus.PUBLISHED]
    if drafts:
        raise ValidationProblem("case_ids", f"Publish case {drafts[0]} before adding it to a set.")
    reading_set = ReadingSet(title=title.strip(), description=description, mode=mode, open_to_all=open_to_all,
                             created_by_id=created_by.id if created_by else None)
    reading_set.items = [ReadingSetCase(case_id=i, position=n) for n, i in enumerate(ids)]
    set_evidence(db, reading_set, requirement_ids, pass_fom, cases=[cases[i] for i in ids])
    db.add(reading_set)
    db.flush()
    return reading_set


def set_evidence(db: Session, reading_set: ReadingSet, requirement_ids: Sequence[str] | str,
                 pass_fom: float | str | None = None, *, cases: Sequence[Case] | None = None) -> ReadingSet:
    """Name the competency requirements a set counts toward and its pass mark (wAFROC FOM, 0–1).

    Only requirements that accept interpretation evidence; the set needs a normal and an abnormal case, as
    the wAFROC figure of merit compares lesions with normal cases (Chakraborty 2017, ch. 13).
    """
    ids = evidence.check_requirement_ids(db, evidence.parse_ids(requirement_ids), "interpretation")
    try:
        fom = DEFAULT_PASS_FOM if pass_fom in (None, "") else float(pass_fom)
    except (TypeError, ValueError):
        raise ValidationProblem("pass_fom", "The pass mark is a wAFROC figure of merit such as 0.70.") from None
    if not 0.0 < fom <= 1.0:
        raise ValidationProblem("pass_fom", "The pass mark is a wAFROC figure of merit between 0 and 1.")
    members = list(cases) if cases is not None else [item.case for item in reading_set.items]
    if ids and not (any(c.abnormal for c in members) and any(not c.abnormal for c in members)):
        raise ValidationProblem("requirement_ids", "A set that counts toward competency needs at least one normal "
                                                   "and one abnormal case (the wAFROC score compares them).")
    reading_set.requirement_ids, reading_set.pass_fom = ids, fom
    return reading_set


def assign_set(db: Session, *, reading_set: ReadingSet, cohort_id: int, mode: ReadingMode | str, actor: User,
               due_at: datetime | None = None) -> ReadingAssignment:
    """Assign a set to a cohort the actor teaches (admins: any cohort)."""
    if actor.role != Role.ADMIN and cohort_id not in {c.id for c in cohorts_taught_by(db, actor)}:
        raise NotAllowed("You can only assign reading to cohorts you teach.")
    if db.get(Cohort, cohort_id) is None:
        raise ValidationProblem("cohort_id", "No such cohort.")
    try:
        mode = ReadingMode(mode)
    except ValueError as exc:
        raise ValidationProblem("mode", "Mode is practice, test or ai.") from exc
    existing = db.scalar(select(ReadingAssignment).where(ReadingAssignment.set_id == reading_set.id,
                                                         ReadingAssignment.cohort_id == cohort_id,
                                                         ReadingAssignment.mode == mode))
    if existing is not None:
        return existing
    assignment = ReadingAssignment(set_id=reading_set.id, cohort_id=cohort_id, mode=mode, due_at=due_at,
                                   assigned_by_id=actor.id)
    db.add(assignment)
    db.flush()
    return assignment


def _trainee_cohorts(db: Session, user: User) -> set[int]:
    return set(db.scalars(select(Enrolment.cohort_id).where(Enrolment.user_id == user.id,
                                                            Enrolment.role == EnrolmentRole.TRAINEE)))


def sets_for(db: Session, user: User) -> list[tuple[ReadingSet, ReadingMode, ReadingAssignment | None]]:
    """The (set, mode, assignment) a person may read: assignments to their cohorts, then open practice sets."""
    found: list[tuple[ReadingSet, ReadingMode, ReadingAssignment | None]] = []
    seen: set[tuple[int, ReadingMode]] = set()
    query = select(ReadingAssignment).order_by(ReadingAssignment.id)
    if user.role == Role.TRAINEE:
        query = query.where(ReadingAssignment.cohort_id.in_(_trainee_cohorts(db, user)))
    assignments = list(db.scalars(query))
    for assignment in assignments:
        if (assignment.set_id, assignment.mode) not in seen:
            seen.add((assignment.set_id, assignment.mode))
            found.append((assignment.reading_set, assignment.mode, assignment))
    for reading_set in db.scalars(select(ReadingSet).where(ReadingSet.open_to_all.is_(True)).order_by(ReadingSet.id)):
        if (reading_set.id, reading_set.mode) not in seen:
            seen.add((reading_set.id, reading_set.mode))
            found.append((reading_set, reading_set.mode, None))
    return found


def may_read(db: Session, user: User, reading_set: ReadingSet, mode: ReadingMode) -> bool:
    return any(s.id == reading_set.id and m == mode for s, m, _ in sets_for(db, user))


# --- sessions ---------------------------------------------------------------------------------------------

def start_session(db: Session, user: User, set_id: int, mode: ReadingMode | str | None = None) -> ReadingSession:
    """Start (or resume the unfinished) session of ``user`` on a set in a mode they were given."""
    reading_set = db.get(ReadingSet, set_id)
    if reading_set is None:
        raise LookupError("No such reading set.")
    try:
        wanted = ReadingMode(mode) if mode else reading_set.mode
    except ValueError as exc:
        raise ValidationProblem("mode", "Mode is practice, test or ai.") from exc
    if not may_read(db, user, reading_set, wanted):
        raise LookupError("No such reading set.")  # not assigned: do not reveal that it exists
    unfinished = db.scalar(select(ReadingSession).where(ReadingSession.user_id == user.id,
                                                        ReadingSession.set_id == set_id,
                                                        ReadingSession.mode == wanted,
                                                        ReadingSession.finished_at.is_(None)))
    if unfinished is not None:
        return unfinished
    session = ReadingSession(user_id=user.id, set_id=set_id, mode=wanted)
    db.add(session)
    db.flush()
    return session


def get_session(db: Session, user: User, session_id: int) -> ReadingSession:
    """A session its reader may open; instructors may open their cohorts' trainees' sessions (read-only)."""
    session = db.get(ReadingSession, session_id)
    if session is None:
        raise LookupError("No such reading session.")
    if session.user_id == user.id or user.role == Role.ADMIN:
        return session
    if user.role == Role.INSTRUCTOR:
        taught = {c.id for c in cohorts_taught_by(db, user)}
        reader = db.get(User, session.user_id)
        if reader is not None and _trainee_cohorts(db, reader) & taught:
            return session
    raise LookupError("No such reading session.")


def case_at(session: ReadingSession, position: int) -> Case:
    items = session.reading_set.items
    if not 0 <= position < len(items):
        raise LookupError("No such case in this set.")
    return items[position].case


def reading_for(db: Session, session: ReadingSession, case: Case, *, open_now: bool = True) -> CaseReading | None:
    """The reader's reading of a case in a session; opening a case starts its clock."""
    reading = db.scalar(select(CaseReading).where(CaseReading.session_id == session.id,
                                                  CaseReading.case_id == case.id))
    if reading is None and open_now:
        reading = CaseReading(case_id=case.id, opened_at=_now())
        session.readings.append(reading)  # keeps the session's list current within one database session
        db.flush()
    return reading


def next_position(db: Session, session: ReadingSession) -> int | None:
    """The first case not yet submitted, or None when all are."""
    submitted = {r.case_id for r in session.readings if r.submitted_at is not None}
    for n, item in enumerate(session.reading_set.items):
        if item.case_id not in submitted:
            return n
    return None


@dataclass(frozen=True)
class MarkInput:
    x: float
    y: float
    rating: float
    frame: int = 0
    series_uid: str = ""
    outline: tuple[tuple[float, float], ...] = ()


def parse_marks(raw: Any) -> list[MarkInput]:
    """Validate marks as the reading page sends them: [{x, y, rating, frame?, series_uid?, outline?}]."""
    if not isinstance(raw, list):
        raise ValidationProblem("marks", "Marks must be a list.")
    if len(raw) > MAX_MARKS:
        raise ValidationProblem("marks", f"At most {MAX_MARKS} marks per case.")
    marks = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValidationProblem("marks", f"Mark {n} is not an object.")
        try:
            x, y = float(item["x"]), float(item["y"])
            rating = float(item["rating"])
            frame = int(item.get("frame", 0) or 0)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationProblem("marks", f"Mark {n} needs numeric x, y and rating.") from exc
        if rating not in RATING_SCALE:
            raise ValidationProblem("marks", f"Mark {n}: choose a confidence from 1 (low) to 5 (definite).")
        if not (-1e5 < x < 1e5 and -1e5 < y < 1e5) or frame < 0:
            raise ValidationProblem("marks", f"Mark {n} lies outside the image.")
        outline = item.get("outline") or ()
        try:
            outline = tuple((float(p[0]), float(p[1])) for p in outline)[:256]
        except (TypeError, ValueError, IndexError) as exc:
            raise ValidationProblem("marks", f"Mark {n}: the outline must be a list of [x, y] points.") from exc
        marks.append(MarkInput(x=x, y=y, rating=rating, frame=frame, series_uid=str(item.get("series_uid", ""))[:64],
                               outline=outline))
    return marks


def lesions_of(case: Case) -> list[Lesion]:
    return [Lesion(lesion_id=str(f.id), x=f.x, y=f.y, radius=f.radius, frame=f.frame, frame_extent=f.frame_extent,
                   weight=f.weight) for f in case.findings]


def score_reading(case: Case, reading: CaseReading) -> CaseOutcome:
    marks = [Mark(x=m["x"], y=m["y"], rating=m["rating"], frame=m.get("frame", 0), mark_id=str(n))
             for n, m in enumerate(reading.marks)]
    outcome = localise(str(case.id), lesions_of(case), marks)
    outcome.reading_seconds = reading.reading_seconds
    return outcome


def submit_case(db: Session, user: User, session: ReadingSession, position: int, marks: Sequence[MarkInput],
                diagnosis_choice: str = "") -> CaseReading:
    """Record and score the reader's answer to one case; a submitted case cannot be changed."""
    if session.user_id != user.id:
        raise NotAllowed("Only the reader can submit their reading.")
    if session.finished_at is not None:
        raise ValidationProblem("session", "This session is finished.")
    case = case_at(session, position)
    reading = reading_for(db, session, case)
    assert reading is not None
    if reading.submitted_at is not None:
        raise ValidationProblem("case", "This case was already submitted.")
    if diagnosis_choice and case.diagnosis_choices and diagnosis_choice not in case.diagnosis_choices:
        raise ValidationProblem("diagnosis_choice", "Choose one of the listed diagnoses.")
    now = _now()
    reading.marks = [{"x": m.x, "y": m.y, "rating": m.rating, "frame": m.frame, "series_uid": m.series_uid,
                      **({"outline": [list(p) for p in m.outline]} if m.outline else {})} for m in marks]
    reading.diagnosis_choice = diagnosis_choice
    reading.submitted_at = now
    reading.reading_seconds = round((now - _aware(reading.opened_at)).total_seconds(), 1)
    outcome = score_reading(case, reading)
    reading.case_rating = outcome.case_rating
    reading.outcome = {
        "hits": [{"lesion": lesion.lesion_id, "mark": int(mark.mark_id or 0)} for mark, lesion in outcome.hits],
        "false_positives": [int(m.mark_id or 0) for m in outcome.false_positives],
        "missed": [lesion.lesion_id for lesion in outcome.missed],
        "diagnosis_correct": bool(case.diagnosis_choices) and diagnosis_choice == correct_choice(case),
    }
    db.flush()
    if next_position(db, session) is None:
        finish_session(db, session)
    return reading


def correct_choice(case: Case) -> str:
    """The listed choice that is the case's diagnosis: the first ("No abnormality") for a normal case; for an
    abnormal one the choice named in the diagnosis, else the first abnormal choice."""
    if not case.diagnosis_choices:
        return ""
    if not case.abnormal:
        return case.diagnosis_choices[0]
    diagnosis = case.diagnosis.lower()
    for choice in case.diagnosis_choices[1:]:
        if choice and (choice.lower() in diagnosis or diagnosis in choice.lower()):
            return choice
    return case.diagnosis_choices[1] if len(case.diagnosis_choices) > 1 else case.diagnosis_choices[0]


def finish_session(db: Session, session: ReadingSession) -> ReadingSession:
    """Close the session and store its summary (sensitivity, specificity, AUC, FROC, wAFROC, time)."""
    outcomes = session_outcomes(session)
    session.finished_at = _now()
    session.summary = summarise(outcomes).to_dict() if outcomes else {}
    db.flush()
    _file_evidence(db, session)
    return session


def _file_evidence(db: Session, session: ReadingSession) -> None:
    """A finished **test-mode** session on a set that names requirements becomes interpretation evidence:
    score = wAFROC FOM × 100, passed = FOM ≥ the set's pass mark. Practice and AI-assisted sessions are
    formative (feedback after each case, or the AI's marks in view), so they are not evidence of competence."""
    reading_set = session.reading_set
    if session.mode != ReadingMode.TEST or not reading_set.requirement_ids:
        return
    fom = session.summary.get("wafroc_fom")
    score = round(100.0 * float(fom), 1) if fom is not None else None
    evidence.record_result(db, session.user_id, reading_set.requirement_ids, "interpretation",
                           f"reading-session:{session.id}", score,
                           fom is not None and float(fom) >= reading_set.pass_fom, session.finished_at)


def session_outcomes(session: ReadingSession) -> list[CaseOutcome]:
    return [score_reading(r.case, r) for r in session.readings if r.submitted_at is not None]


def feedback_visible(session: ReadingSession, reading: CaseReading | None) -> bool:
    """Truth for a case is shown after its submission (practice, AI) or when the whole session is done (test)."""
    if reading is None or reading.submitted_at is None:
        return False
    return session.mode != ReadingMode.TEST or session.finished_at is not None


def sessions_of(db: Session, user: User) -> list[ReadingSession]:
    return list(db.scalars(select(ReadingSession).where(ReadingSession.user_id == user.id)
                           .order_by(ReadingSession.started_at)))
