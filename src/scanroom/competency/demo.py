"""Demo seeding for competency: the demo radiography programme follows ARRT 2022 and sets two practical tasks;
the demo trainee has one sign-off (CPR/BLS) so the record, the history and the cohort dashboard show something.

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
