"""JSON API under /api/v1 (cookie session + X-CSRF-Token header for writes)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import (
    Actor,
    NotAllowed,
    ValidationProblem,
    cohorts_taught_by,
    create_cohort,
    create_programme,
    create_user,
    enrol,
    trainees_visible_to,
)
from scanroom.dicom import library
from scanroom.learning import progress
from scanroom.store.models import Annotation, Programme, Role, User, utcnow
from scanroom.web import schemas
from scanroom.web.deps import DB, client_ip, current_user, require_admin, require_instructor

router = APIRouter(prefix="/api/v1", tags=["api"])


def _unprocessable(problem: ValidationProblem) -> HTTPException:
    return HTTPException(422,
                         [{"field": problem.field, "message": problem.message}])


@router.get("/me", response_model=schemas.UserOut)
def me(user: User = Depends(current_user)) -> User:
    return user


@router.get("/users", response_model=list[schemas.UserOut])
def list_users(_: User = Depends(require_admin), db: Session = DB) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)))


@router.post("/users", response_model=schemas.UserOut, status_code=201)
def add_user(body: schemas.UserCreate, request: Request, admin: User = Depends(require_admin),
             db: Session = DB) -> User:
    try:
        return create_user(db, username=body.username, password=body.password, role=body.role,
                           full_name=body.full_name, email=body.email, actor=Actor(admin.id, client_ip(request)))
    except ValidationProblem as problem:
        raise _unprocessable(problem) from None


@router.get("/programmes", response_model=list[schemas.ProgrammeOut])
def list_programmes(_: User = Depends(current_user), db: Session = DB) -> list[Programme]:
    return list(db.scalars(select(Programme).order_by(Programme.name)))


@router.post("/programmes", response_model=schemas.ProgrammeOut, status_code=201)
def add_programme(body: schemas.ProgrammeCreate, request: Request, admin: User = Depends(require_admin),
                  db: Session = DB) -> Programme:
    try:
        return create_programme(db, name=body.name, modality=body.modality, level=body.level,
                                description=body.description, actor=Actor(admin.id, client_ip(request)))
    except ValidationProblem as problem:
        raise _unprocessable(problem) from None


@router.get("/cohorts", response_model=list[schemas.CohortOut])
def list_cohorts(user: User = Depends(require_instructor), db: Session = DB) -> list[object]:
    return list(cohorts_taught_by(db, user))


@router.post("/cohorts", response_model=schemas.CohortOut, status_code=201)
def add_cohort(body: schemas.CohortCreate, request: Request, admin: User = Depends(require_admin),
               db: Session = DB) -> object:
    try:
        return create_cohort(db, name=body.name, programme_id=body.programme_id, start_year=body.start_year,
                             actor=Actor(admin.id, client_ip(request)))
    except ValidationProblem as problem:
        raise _unprocessable(problem) from None


@router.post("/cohorts/{cohort_id}/enrolments", response_model=schemas.EnrolmentOut, status_code=201)
def add_enrolment(cohort_id: int, body: schemas.EnrolmentCreate, request: Request,
                  user: User = Depends(require_instructor), db: Session = DB) -> object:
    if user.role != Role.ADMIN and cohort_id not in {c.id for c in cohorts_taught_by(db, user)}:
        raise HTTPException(404, "No such cohort among those you teach.")
    try:
        return enrol(db, cohort_id=cohort_id, username=body.username, role=body.role, actor_user=user,
                     ip_address=client_ip(request))
    except ValidationProblem as problem:
        raise _unprocessable(problem) from None
    except NotAllowed as refusal:
        raise HTTPException(403, str(refusal)) from None


@router.get("/trainees/{trainee_id}/progress", response_model=schemas.ProgressOut)
def trainee_progress(trainee_id: int, user: User = Depends(current_user),
                     db: Session = DB) -> schemas.ProgressOut:
    """A trainee sees their own record; instructors those they teach; admins all. Others get 404."""
    if user.role == Role.TRAINEE:
        target = user if trainee_id == user.id else None
    else:
        target = next((t for t in trainees_visible_to(db, user) if t.id == trainee_id), None)
    if target is None:
        raise HTTPException(404, "No such trainee record.")
    summary = progress.progress_for(db, target)
    return schemas.ProgressOut(user_id=summary.user_id, username=summary.username,
                               gallery_total=summary.gallery_total, gallery_opened=summary.gallery_opened,
                               annotation_sets=summary.annotation_sets, last_active=summary.last_active)


@router.get("/images", response_model=list[schemas.ImageOut])
def list_images(user: User = Depends(current_user), db: Session = DB) -> list[object]:
    return list(library.visible_studies(db, user))


def _visible_series_or_404(db: Session, user: User, study_uid: str, series_uid: str) -> None:
    if not library.visible_series(db, user, study_uid, series_uid):
        raise HTTPException(404, "No such series, or it is not yours to see.")


@router.get("/annotations/{study_uid}/{series_uid}", response_model=schemas.AnnotationSetOut)
def get_annotations(study_uid: str, series_uid: str, user: User = Depends(current_user),
                    db: Session = DB) -> schemas.AnnotationSetOut:
    _visible_series_or_404(db, user, study_uid, series_uid)
    row = db.scalar(select(Annotation).where(Annotation.user_id == user.id, Annotation.series_uid == series_uid))
    return schemas.AnnotationSetOut(study_uid=study_uid, series_uid=series_uid,
                                    annotations=row.items if row else [], updated_at=row.updated_at if row else None)


@router.put("/annotations/{study_uid}/{series_uid}", response_model=schemas.AnnotationSetOut)
def put_annotations(study_uid: str, series_uid: str, body: schemas.AnnotationSet,
                    user: User = Depends(current_user), db: Session = DB) -> schemas.AnnotationSetOut:
    """Replace the caller's annotations on a series (their own only; nobody else's are touched)."""
    _visible_series_or_404(db, user, study_uid, series_uid)
    items = [item.model_dump() for item in body.annotations]
    row = db.scalar(select(Annotation).where(Annotation.user_id == user.id, Annotation.series_uid == series_uid))
    if row is None:
        row = Annotation(user_id=user.id, study_uid=study_uid, series_uid=series_uid, items=items)
        db.add(row)
    else:
        row.items = items
        row.updated_at = utcnow()
    progress.record(db, user, progress.SAVE_ANNOTATIONS, f"{study_uid}/{series_uid}")
    db.flush()
    return schemas.AnnotationSetOut(study_uid=study_uid, series_uid=series_uid, annotations=items,
                                    updated_at=row.updated_at)


@router.post("/scans/{modality}", response_model=schemas.ScanOut, status_code=201)
def run_scan(modality: str, body: schemas.ScanRequest, request: Request, user: User = Depends(current_user),
             db: Session = DB) -> object:
    """Acquire on a digital patient and keep the images and the dose record (the caller's own)."""
    from scanroom.practice import scans
    from scanroom.scanner.base import PatientRequest, ProtocolError, apply_settings
    from scanroom.scanner.registry import get_scanner

    try:
        scanner = get_scanner(modality)
        protocol = apply_settings(scanner.preset(body.preset), body.settings)
        patient = PatientRequest(patient_id=body.patient_id, seed=body.seed)
        result = scans.run_scan(db, request.app.state.data_dir, user, modality, patient, protocol,
                                preset=body.preset)
    except ProtocolError as problem:
        raise HTTPException(422, [{"field": "settings", "message": str(problem)}]) from None
    return result.record


@router.get("/scans", response_model=list[schemas.ScanOut])
def list_scans(modality: str | None = None, user: User = Depends(current_user),
               db: Session = DB) -> list[object]:
    """The caller's own scan history, newest first."""
    from scanroom.practice import scans

    return list(scans.history(db, user, modality))
