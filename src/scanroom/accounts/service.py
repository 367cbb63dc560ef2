"""Users, programmes, cohorts and enrolments: the rules, independent of the web and the CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts import audit
from scanroom.accounts.passwords import hash_password, password_problem, verify_password
from scanroom.store.models import (
    Cohort,
    Enrolment,
    EnrolmentRole,
    Modality,
    Programme,
    Role,
    User,
    utcnow,
)

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class ValidationProblem(ValueError):
    """Bad input for a domain operation; ``field`` says which input, for re-rendering forms."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotAllowed(PermissionError):
    """The actor may not do this (e.g. an instructor enrolling into a cohort they do not teach)."""


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    ip_address: str = ""


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_user(db: Session, *, username: str, password: str, role: Role | str, full_name: str = "",
                email: str = "", actor: Actor | None = None) -> User:
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise ValidationProblem("username", "Username: 2–64 characters, lower-case letters, digits, . _ -")
    try:
        role_value = Role(role)
    except ValueError:
        raise ValidationProblem("role", f"Role must be one of: {', '.join(r.value for r in Role)}.") from None
    problem = password_problem(password, name)
    if problem:
        raise ValidationProblem("password", problem)
    if db.scalar(select(User.id).where(User.username == name)) is not None:
        raise ValidationProblem("username", f"A user named {name!r} already exists.")
    user = User(username=name, password_hash=hash_password(password), role=role_value,
                full_name=full_name.strip()[:200], email=email.strip()[:254])
    db.add(user)
    db.flush()
    audit.record(db, "user.create", actor_id=actor.user_id if actor else None, target=f"user:{user.id}",
                 ip_address=actor.ip_address if actor else "", username=name, role=role_value.value)
    return user


def change_password(db: Session, user: User, *, current: str, new: str, actor: Actor) -> None:
    if not verify_password(current, user.password_hash):
        raise ValidationProblem("current_password", "The current password is not correct.")
    problem = password_problem(new, user.username)
    if problem:
        raise ValidationProblem("new_password", problem)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    audit.record(db, "user.password_change", actor_id=actor.user_id, target=f"user:{user.id}",
                 ip_address=actor.ip_address)


def create_programme(db: Session, *, name: str, modality: Modality | str, level: str, description: str = "",
                     actor: Actor | None = None) -> Programme:
    clean = name.strip()
    if not clean:
        raise ValidationProblem("name", "Programme name is required.")
    try:
        modality_value = Modality(modality)
    except ValueError:
        raise ValidationProblem(
            "modality", f"Modality must be one of: {', '.join(m.value for m in Modality)}.") from None
    if not level.strip():
        raise ValidationProblem("level", "Level is required (e.g. entry, advanced, residency year 1).")
    if db.scalar(select(Programme.id).where(Programme.name == clean)) is not None:
        raise ValidationProblem("name", f"A programme named {clean!r} already exists.")
    programme = Programme(name=clean, modality=modality_value, level=level.strip(),
                          description=description.strip())
    db.add(programme)
    db.flush()
    audit.record(db, "programme.create", actor_id=actor.user_id if actor else None,
                 target=f"programme:{programme.id}", name=clean)
    return programme


def create_cohort(db: Session, *, name: str, programme_id: int | None, start_year: int | None = None,
                  actor: Actor | None = None) -> Cohort:
    clean = name.strip()
    if not clean:
        raise ValidationProblem("name", "Cohort name is required.")
    programme = db.get(Programme, programme_id) if programme_id is not None else None
    if programme is None:
        raise ValidationProblem("programme_id", "Choose an existing programme.")
    if start_year is not None and not 1990 <= start_year <= 2100:
        raise ValidationProblem("start_year", "Start year must be between 1990 and 2100.")
    if db.scalar(select(Cohort.id).where(Cohort.name == clean)) is not None:
        raise ValidationProblem("name", f"A cohort named {clean!r} already exists.")
    cohort = Cohort(name=clean, programme_id=programme.id, start_year=start_year)
    db.add(cohort)
    db.flush()
    audit.record(db, "cohort.create", actor_id=actor.user_id if actor else None, target=f"cohort:{cohort.id}",
                 name=clean, programme=programme.name)
    return cohort


def cohorts_taught_by(db: Session, user: User) -> list[Cohort]:
    """Cohorts this person may manage: all for admins, those they are enrolled in as instructor otherwise."""
    if user.role == Role.ADMIN:
        return list(db.scalars(select(Cohort).order_by(Cohort.name)))
    return list(db.scalars(
        select(Cohort).join(Enrolment).where(Enrolment.user_id == user.id,
                                             Enrolment.role == EnrolmentRole.INSTRUCTOR).order_by(Cohort.name)))


def can_manage_cohort(db: Session, user: User, cohort_id: int) -> bool:
    return any(c.id == cohort_id for c in cohorts_taught_by(db, user))


def enrol(db: Session, *, cohort_id: int, username: str, role: EnrolmentRole | str, actor_user: User,
          ip_address: str = "") -> Enrolment:
    """Enrol a user in a cohort. Instructors may enrol trainees in cohorts they teach; admins anything."""
    cohort = db.get(Cohort, cohort_id)
    if cohort is None:
        raise ValidationProblem("cohort_id", "No such cohort.")
    try:
        role_value = EnrolmentRole(role)
    except ValueError:
        raise ValidationProblem("role", "Enrolment role must be trainee or instructor.") from None
    if actor_user.role != Role.ADMIN:
        if actor_user.role != Role.INSTRUCTOR or not can_manage_cohort(db, actor_user, cohort_id):
            raise NotAllowed("You can only enrol trainees in cohorts you teach.")
        if role_value != EnrolmentRole.TRAINEE:
            raise NotAllowed("Only an administrator can add instructors to a cohort.")
    user = db.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None:
        raise ValidationProblem("username", f"No user named {username.strip()!r}.")
    if role_value == EnrolmentRole.TRAINEE and user.role != Role.TRAINEE:
        raise ValidationProblem("username", f"{user.username} is not a trainee account.")
    if role_value == EnrolmentRole.INSTRUCTOR and user.role == Role.TRAINEE:
        raise ValidationProblem("username", f"{user.username} is a trainee account, not an instructor.")
    existing = db.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort_id, Enrolment.user_id == user.id))
    if existing is not None:
        raise ValidationProblem("username", f"{user.username} is already enrolled in {cohort.name}.")
    enrolment = Enrolment(cohort_id=cohort_id, user_id=user.id, role=role_value, enrolled_by_id=actor_user.id)
    db.add(enrolment)
    db.flush()
    audit.record(db, "enrolment.create", actor_id=actor_user.id, target=f"cohort:{cohort_id}",
                 ip_address=ip_address, username=user.username, role=role_value.value)
    return enrolment


def trainees_visible_to(db: Session, user: User) -> list[User]:
    """Trainees an instructor may see (enrolled in cohorts they teach); every trainee for an admin."""
    if user.role == Role.ADMIN:
        return list(db.scalars(select(User).where(User.role == Role.TRAINEE).order_by(User.username)))
    cohort_ids = [c.id for c in cohorts_taught_by(db, user)]
    if not cohort_ids:
        return []
    return list(db.scalars(
        select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.cohort_id.in_(cohort_ids), Enrolment.role == EnrolmentRole.TRAINEE)
        .distinct().order_by(User.username)))
