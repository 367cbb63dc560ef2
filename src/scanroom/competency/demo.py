"""Demo seeding for competency: the demo radiography programme follows ARRT 2022 and sets two practical tasks;
the demo trainee has one sign-off (CPR/BLS) so the record, the history and the cohort dashboard show something.
ARRT 2022 accepts neither exam nor interpretation evidence for any requirement (its clinical competencies are
demonstrated and signed off), so the programme adds two local requirements that do — chest radiograph
interpretation (met by the synthetic chest reading set in test mode) and radiographic physics (met by the
fixed-form physics exam) — and the demo set and exam name them.

Called with one line from ``scanroom.demo.seed_demo``; idempotent.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.competency import records, signoff
from scanroom.store.models import Cohort, Role, User
from scanroom.store.models_competency import SignOff

DEMO_FRAMEWORK = "arrt-radiography-2022"
DEMO_TASKS = ("chest-pa-outpatient", "pelvis-trauma-resus")
DEMO_LOCAL = (  # (id, title, evidence kind, what counts toward it: reading set title or exam title)
    ("local-chest-interpretation", "Chest radiograph interpretation (pulmonary nodules)", "interpretation",
     "Chest radiographs: pulmonary nodules"),
    ("local-radiographic-physics", "Radiographic physics and radiation protection (written exam)", "exam",
     "Physics check (fixed form)"),
)


def seed_competency_demo(db: Session, cohort: Cohort) -> None:
    """Framework choice and two tasks for the cohort's programme; one sign-off for the demo trainee."""
    admin = db.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    instructor = db.scalar(select(User).where(User.username == "instructor"))
    if admin is None:
        return
    programme = cohort.programme
    if records.chosen_framework_id(db, programme) != DEMO_FRAMEWORK:
        records.choose_framework(db, programme, DEMO_FRAMEWORK, admin)
    if not records.programme_task_ids(db, programme):
        records.set_programme_tasks(db, programme, list(DEMO_TASKS), admin)
    trainee = db.scalar(select(User).where(User.username == "trainee"))
    if trainee is not None and instructor is not None and records.can_view(db, instructor, trainee) and \
            db.scalar(select(SignOff.id).where(SignOff.trainee_id == trainee.id)) is None:
        signoff.sign_off(db, trainee=trainee, requirement_id="gpc-cpr", signer=instructor,
                         comment="BLS certificate seen (demo).")
    seed_evidence_links(db, cohort, admin)


def seed_evidence_links(db: Session, cohort: Cohort, actor: User) -> None:
    """The programme's two local requirements, and the demo reading set and exam that count toward them."""
    from scanroom.learning import exams
    from scanroom.reading import sessions
    from scanroom.store.models_learning import ClassroomExam
    from scanroom.store.models_reading import ReadingSet

    programme = cohort.programme
    have = {r.id for r in records.local_requirements(db, programme)}
    for requirement_id, title, kind, _counted_by in DEMO_LOCAL:
        if requirement_id not in have:
            records.add_local_requirement(db, programme, requirement_id=requirement_id, title=title,
                                          evidence=[kind], actor=actor,
                                          source=f"Local requirement of {programme.name} (demo)")
    reading_set = db.scalar(select(ReadingSet).where(ReadingSet.title == DEMO_LOCAL[0][3]))
    if reading_set is not None and not reading_set.requirement_ids:
        sessions.set_evidence(db, reading_set, [DEMO_LOCAL[0][0]])
    exam = db.scalar(select(ClassroomExam).where(ClassroomExam.cohort_id == cohort.id,
                                                 ClassroomExam.title == DEMO_LOCAL[1][3]))
    if exam is not None and not exam.requirement_ids:
        exams.set_evidence(db, exam, [DEMO_LOCAL[1][0]])
    db.flush()
