"""The demo programme: example programmes, a cohort, three demo accounts and the sample gallery.

Demo accounts exist only after ``scanroom seed demo`` (``make run`` calls it). Their passwords are
public (README), so never seed the demo on a server that holds real trainees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import create_cohort, create_programme, create_user, enrol
from scanroom.dicom.library import seed_gallery
from scanroom.store.models import Cohort, Enrolment, EnrolmentRole, Modality, Programme, Role, User

DEMO_PROGRAMMES: tuple[tuple[str, Modality, str, str], ...] = (
    ("Radiography — entry", Modality.RADIOGRAPHY, "entry",
     "Diagnostic radiography: positioning, exposure factors, image critique, radiation protection."),
    ("CT — advanced practitioner", Modality.CT, "advanced practitioner",
     "CT protocols, reconstruction, artifacts, dose optimisation."),
    ("MRI — entry", Modality.MRI, "entry", "MR physics, sequences and contrast, MR safety."),
    ("Sonography — entry", Modality.SONOGRAPHY, "entry", "Ultrasound physics, knobology, artifacts."),
    ("Nuclear medicine — entry", Modality.NUCLEAR_MEDICINE, "entry", "Radiopharmaceuticals, gamma camera, QC."),
    ("Radiology residency — year 1", Modality.RADIOLOGY, "residency year 1",
     "Interpretation across modalities, imaging physics, radiation safety."),
)
DEMO_COHORT = "Radiography 2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    full_name: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "admin-demo-pass", Role.ADMIN, "Demo Administrator"),
    DemoAccount("instructor", "instructor-demo-pass", Role.INSTRUCTOR, "Dr Ada Instructor"),
    DemoAccount("trainee", "trainee-demo-pass", Role.TRAINEE, "Sam Trainee"),
    DemoAccount("trainee2", "trainee2-demo-pass", Role.TRAINEE, "Alex Trainee"),
)


def seed_demo(db: Session, data_dir: Path, *, with_images: bool = True,
              progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the demo programme idempotently; returns counts of what exists afterwards."""
    for name, modality, level, description in DEMO_PROGRAMMES:
        if db.scalar(select(Programme.id).where(Programme.name == name)) is None:
            create_programme(db, name=name, modality=modality, level=level, description=description)
    for account in DEMO_ACCOUNTS:
        if db.scalar(select(User.id).where(User.username == account.username)) is None:
            create_user(db, username=account.username, password=account.password, role=account.role,
                        full_name=account.full_name)
    cohort = db.scalar(select(Cohort).where(Cohort.name == DEMO_COHORT))
    if cohort is None:
        programme_id = db.scalar(select(Programme.id).where(Programme.name == DEMO_PROGRAMMES[0][0]))
        cohort = create_cohort(db, name=DEMO_COHORT, programme_id=programme_id, start_year=2026)
    admin = db.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    for account in DEMO_ACCOUNTS[1:]:
        user_id = db.scalar(select(User.id).where(User.username == account.username))
        enrolled = db.scalar(select(Enrolment.id).where(Enrolment.cohort_id == cohort.id,
                                                        Enrolment.user_id == user_id))
        if enrolled is None:
            role = EnrolmentRole.INSTRUCTOR if account.role == Role.INSTRUCTOR else EnrolmentRole.TRAINEE
            enrol(db, cohort_id=cohort.id, username=account.username, role=role, actor_user=admin)
    images = seed_gallery(db, data_dir, progress=progress) if with_images else 0
    if with_images:
        from scanroom.reading.demo import seed_reading_demo

        instructor = db.scalar(select(User).where(User.role == Role.INSTRUCTOR).order_by(User.id))
        if instructor is not None:
            seed_reading_demo(db, data_dir, cohort=cohort, instructor=instructor, progress=progress)
    __import__("scanroom.learning.exams").learning.exams.seed_demo_exams(db, cohort)  # classroom: two demo exams
    __import__("scanroom.competency.demo").competency.demo.seed_competency_demo(db, cohort)  # framework, tasks
    return {"programmes": len(DEMO_PROGRAMMES), "accounts": len(DEMO_ACCOUNTS), "images": images}
