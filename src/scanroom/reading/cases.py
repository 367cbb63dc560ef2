"""The case library: create, edit, publish and find interpretation cases; store synthetic and imported ones.

A case's images are ordinary library instances under the collection ``"case"``; who may open them is decided
by :func:`can_open_case_images` (registered with the library, so DICOMweb and the viewer apply it too). Truth
lives in ``CaseFinding`` rows and on the ``Case`` (diagnosis, teaching points) and is only rendered after
submission (see ``reading.sessions``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.accounts.service import ValidationProblem
from scanroom.dicom import library
from scanroom.store.models import ImageInstance, Role, User
from scanroom.store.models_reading import (
    Case,
    CaseFinding,
    CaseSeries,
    CaseSource,
    CaseStatus,
    ReadingSession,
    ReadingSetCase,
)

CASE_COLLECTION = "case"
DIFFICULTIES = ("easy", "moderate", "hard")
LEVELS = ("entry", "intermediate", "advanced")
_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


@dataclass(frozen=True)
class FindingInput:
    """Truth for one lesion as an author (or the generator) gives it, in image pixel coordinates."""

    series_uid: str
    x: float
    y: float
    radius: float
    label: str = ""
    lesion_type: str = ""
    frame: int = 0
    frame_extent: int = 0
    weight: float | None = None
    size_mm: float | None = None
    contrast: float | None = None


def can_open_case_images(db: Session, user: User, instance: ImageInstance) -> bool:
    """Instructors and admins author cases; a trainee sees a case's images once a reading session includes it."""
    if user.role in (Role.INSTRUCTOR, Role.ADMIN):
        return True
    return db.scalar(
        select(ReadingSession.id)
        .join(ReadingSetCase, ReadingSetCase.set_id == ReadingSession.set_id)
        .join(CaseSeries, CaseSeries.case_id == ReadingSetCase.case_id)
        .where(ReadingSession.user_id == user.id, CaseSeries.series_uid == instance.series_uid)
        .limit(1)) is not None


library.register_collection_rule(CASE_COLLECTION, can_open_case_images)


def _check_finding(finding: FindingInput, rows: int, columns: int, frames: int) -> None:
    if not (0 <= finding.x < columns and 0 <= finding.y < rows):
        raise ValidationProblem("findings", f"Finding at ({finding.x:.0f}, {finding.y:.0f}) lies outside the "
                                            f"{columns}×{rows} image.")
    if not 0 < finding.radius <= max(rows, columns):
        raise ValidationProblem("findings", "A finding's acceptance radius must be positive and inside the image.")
    if not 0 <= finding.frame < frames:
        raise ValidationProblem("findings", f"Finding frame {finding.frame + 1} is outside the series "
                                            f"({frames} frames).")


def series_geometry(db: Session, series_uid: str) -> tuple[int, int, int]:
    """(rows, columns, frames) of a stored series; frames counts multi-frame instances and single-frame slices."""
    instances = list(db.scalars(select(ImageInstance).where(ImageInstance.series_uid == series_uid)))
    if not instances:
        raise ValidationProblem("series", f"No stored series {series_uid}.")
    return instances[0].rows, instances[0].columns, sum(i.number_of_frames for i in instances)


def create_case(db: Session, *, key: str, title: str, modality: str, series: Sequence[tuple[str, str, str]],
                findings: Iterable[FindingInput] = (), abnormal: bool | None = None, history: str = "",
                question: str = "", diagnosis: str = "", diagnosis_choices: Sequence[str] = (),
                teaching_points: Sequence[str] = (), references: Sequence[str] = (), tags: Sequence[str] = (),
                body_region: str = "", pathology: str = "", difficulty: str = "moderate", level: str = "entry",
                source: CaseSource = CaseSource.SYNTHETIC, status: CaseStatus = CaseStatus.DRAFT,
                created_by: User | None = None, ai_marks: Sequence[dict[str, Any]] = ()) -> Case:
    """A new case over stored series ``(study_uid, series_uid, description)``; validates key, levels and truth."""
    key = key.strip().lower()
    if not _KEY.match(key):
        raise ValidationProblem("key", "A case key is 2–80 characters: lower-case letters, digits, '.', '_', '-'.")
    if db.scalar(select(Case.id).where(Case.key == key)) is not None:
        raise ValidationProblem("key", f"A case with key {key!r} already exists.")
    if not title.strip():
        raise ValidationProblem("title", "Give the case a title.")
    if difficulty not in DIFFICULTIES:
        raise ValidationProblem("difficulty", f"Difficulty is one of {', '.join(DIFFICULTIES)}.")
    if level not in LEVELS:
        raise ValidationProblem("level", f"Level is one of {', '.join(LEVELS)}.")
    if not series:
        raise ValidationProblem("series", "A case needs at least one image series.")
    findings = list(findings)
    geometry = {uid: series_geometry(db, uid) for _, uid, _ in series}
    for finding in findings:
        if finding.series_uid not in geometry:
            raise ValidationProblem("findings", "A finding refers to a series that is not part of the case.")
        _check_finding(finding, *geometry[finding.series_uid])
    case = Case(key=key, title=title.strip(), modality=modality, body_region=body_region, pathology=pathology,
                difficulty=difficulty, level=level, tags=sorted({t.strip().lower() for t in tags if t.strip()}),
                history=history, question=question, abnormal=bool(findings) if abnormal is None else abnormal,
                diagnosis=diagnosis, diagnosis_choices=list(diagnosis_choices),
                teaching_points=list(teaching_points), references=list(references), source=source, status=status,
                created_by_id=created_by.id if created_by else None, ai_marks=list(ai_marks))
    case.series = [CaseSeries(study_uid=study, series_uid=uid, position=i, description=desc[:200])
                   for i, (study, uid, desc) in enumerate(series)]
    case.findings = [CaseFinding(series_uid=f.series_uid, label=f.label[:200], lesion_type=f.lesion_type[:80],
                                 x=f.x, y=f.y, radius=f.radius, frame=f.frame, frame_extent=f.frame_extent,
                                 weight=f.weight, size_mm=f.size_mm, contrast=f.contrast) for f in findings]
    for _, uid, _ in series:  # the images become case images: no longer in anyone's own collection
        for instance in db.scalars(select(ImageInstance).where(ImageInstance.series_uid == uid)):
            instance.collection = CASE_COLLECTION
    db.add(case)
    db.flush()
    return case


def replace_findings(db: Session, case: Case, findings: Iterable[FindingInput], *,
                     abnormal: bool | None = None) -> Case:
    """The instructor's truth marking: the case's findings become exactly ``findings``."""
    findings = list(findings)
    geometry = {s.series_uid: series_geometry(db, s.series_uid) for s in case.series}
    for finding in findings:
        if finding.series_uid not in geometry:
            raise ValidationProblem("findings", "A finding refers to a series that is not part of the case.")
        _check_finding(finding, *geometry[finding.series_uid])
    case.findings.clear()
    db.flush()
    case.findings.extend(CaseFinding(series_uid=f.series_uid, label=f.label[:200], lesion_type=f.lesion_type[:80],
                                     x=f.x, y=f.y, radius=f.radius, frame=f.frame, frame_extent=f.frame_extent,
                                     weight=f.weight, size_mm=f.size_mm, contrast=f.contrast) for f in findings)
    case.abnormal = bool(findings) if abnormal is None else abnormal
    db.flush()
    return case


def update_case(case: Case, **fields: Any) -> Case:
    """Edit the descriptive fields of a case (title, history, question, diagnosis, tags, …)."""
    allowed = {"title", "history", "question", "diagnosis", "diagnosis_choices", "teaching_points", "references",
               "tags", "body_region", "pathology", "difficulty", "level"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationProblem(sorted(unknown)[0], "This field cannot be edited.")
    if "title" in fields and not str(fields["title"]).strip():
        raise ValidationProblem("title", "Give the case a title.")
    if fields.get("difficulty", case.difficulty) not in DIFFICULTIES:
        raise ValidationProblem("difficulty", f"Difficulty is one of {', '.join(DIFFICULTIES)}.")
    if fields.get("level", case.level) not in LEVELS:
        raise ValidationProblem("level", f"Level is one of {', '.join(LEVELS)}.")
    for name, value in fields.items():
        setattr(case, name, value)
    return case


def publish(case: Case) -> Case:
    """Published cases can be put into reading sets; a case is only publishable with its question set."""
    if not case.question.strip():
        raise ValidationProblem("question", "Write the question the reader should answer before publishing.")
    case.status = CaseStatus.PUBLISHED
    return case


def find_cases(db: Session, *, modality: str | None = None, tags: Sequence[str] = (), status: CaseStatus | None = None,
               source: CaseSource | None = None, difficulty: str | None = None, limit: int = 500) -> list[Case]:
    query = select(Case).order_by(Case.id)
    if modality:
        query = query.where(Case.modality == modality)
    if status:
        query = query.where(Case.status == status)
    if source:
        query = query.where(Case.source == source)
    if difficulty:
        query = query.where(Case.difficulty == difficulty)
    wanted = {t.lower() for t in tags if t}
    cases = list(db.scalars(query))
    if wanted:
        cases = [c for c in cases if wanted <= set(c.tags)]
    return cases[:limit]


def get_case(db: Session, case_id: int) -> Case | None:
    return db.get(Case, case_id)


# --- synthetic cases --------------------------------------------------------------------------------------

def _case_context(key: str, patient_id: str, description: str) -> Any:
    """A pseudonymous identity: the header names the case, never the lesion or the diagnosis."""
    from scanroom.dicom.modules import StudyContext

    sex = {"adult-male": "M", "adult-female": "F"}.get(patient_id, "O")
    return StudyContext(patient_name=f"CASE^{key.upper()}", patient_id=f"CASE-{key}", patient_sex=sex,
                        study_uid=generate_uid(), study_description=description)


def image_datasets(datasets: Sequence[Dataset]) -> list[Dataset]:
    """Only the images a reader should see: no dose reports and no segmentation (which is the truth)."""
    return [ds for ds in datasets if "PixelData" in ds and str(ds.get("Modality", "")) not in ("SEG", "SR", "RTSTRUCT")]


def store_synthetic_case(db: Session, data_dir: Path, synthetic: Any, *, created_by: User | None = None,
                         publish_case: bool = True, ai_detect: bool = True) -> Case:
    """Write a generated case's images to the library and create the case with its truth (all or nothing)."""
    from scanroom.dicom.export import to_datasets

    spec = synthetic.spec
    acquisition = synthetic.acquisition
    ctx = _case_context(spec.case_key, spec.patient_id, f"{acquisition.modality.upper()} {spec.exam}")
    datasets = image_datasets(to_datasets(acquisition, ctx))
    ai_marks: list[dict[str, Any]] = []
    if ai_detect:
        ai_marks = ai_candidates(acquisition.images, acquisition.pixel_spacing_mm, acquisition.modality)
    written: list[Path] = []
    try:
        with db.begin_nested():
            for ds in datasets:
                instance = library.store_dataset(db, data_dir, ds, collection=CASE_COLLECTION,
                                                 title=f"Case {spec.case_key}")
                written.append(data_dir / instance.relative_path)
            first = datasets[0]
            series_uid = str(first.SeriesInstanceUID)
            findings = [FindingInput(series_uid=series_uid, x=f.x, y=f.y, radius=f.radius, label=f.description,
                                     lesion_type=f.lesion_type, frame=f.frame, frame_extent=f.frame_extent,
                                     size_mm=f.size_mm, contrast=f.contrast) for f in synthetic.findings]
            case = create_case(
                db, key=spec.case_key, title=f"Synthetic {spec.exam.replace('-', ' ')} ({acquisition.modality})",
                modality=acquisition.modality, series=[(str(first.StudyInstanceUID), series_uid,
                                                        str(first.get("SeriesDescription", "")))],
                findings=findings, abnormal=synthetic.abnormal, history=synthetic.history,
                question=synthetic.question, diagnosis=synthetic.diagnosis,
                diagnosis_choices=diagnosis_choices_for(synthetic), teaching_points=synthetic.teaching_points,
                tags=synthetic.tags, difficulty=synthetic.difficulty, source=CaseSource.SYNTHETIC,
                status=CaseStatus.PUBLISHED if publish_case else CaseStatus.DRAFT, created_by=created_by,
                body_region=(synthetic.tags[0] if synthetic.tags else ""),
                pathology=synthetic.findings[0].lesion_type if synthetic.findings else "normal",
                references=list(getattr(synthetic, "references", []) or []), ai_marks=ai_marks)
    except Exception:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return case


def diagnosis_choices_for(synthetic: Any) -> list[str]:
    """The per-case diagnosis question: the truth among plausible alternatives, in a fixed order."""
    from scanroom.physics.patients.lesions import LESION_TYPES

    region = synthetic.tags[0] if synthetic.tags else ""
    choices = ["No abnormality"]
    for lesion in LESION_TYPES.values():
        if region in lesion.regions and lesion.description not in choices:
            choices.append(lesion.description)
    return choices[:8]


def ai_reads(modality: str) -> bool:
    """Whether the AI second reader gives an opinion on this modality (it was trained on chest radiographs)."""
    try:
        from scanroom.reading import ai_reader
    except ImportError:
        return False
    return ai_reader.reads(modality)


def ai_candidates(images: Any, pixel_spacing_mm: tuple[float, float], modality: str) -> list[dict[str, Any]]:
    """The AI second reader's marks for a case (none for a modality it does not read or without its model)."""
    if not ai_reads(modality):
        return []
    from scanroom.reading import ai_reader

    marks: list[dict[str, Any]] = []
    for frame_index, frame in enumerate(images):
        try:
            found = ai_reader.detect(frame, pixel_spacing_mm, modality=modality, frame=frame_index)
        except (ValueError, FileNotFoundError):
            return []  # an image it cannot read (not 2-D, too small), or no trained model installed
        marks.extend({"x": round(c.x, 1), "y": round(c.y, 1), "radius": round(c.radius, 1), "frame": frame_index,
                      "confidence": round(float(c.confidence), 3)} for c in found)
    return marks


def ai_operating_point() -> float:
    """The AI reader's yes/no threshold from its model card (0 when no model is installed: show everything)."""
    try:
        from scanroom.reading.ai_reader import MODEL_CARD
    except (ImportError, FileNotFoundError):
        return 0.0
    return float(MODEL_CARD.get("operating_point") or 0.0)


def ai_reader_summary() -> str:
    """One line of the AI reader's measured performance, shown to readers so they can calibrate their trust."""
    try:
        from scanroom.reading.ai_reader import MODEL_CARD
    except (ImportError, FileNotFoundError):
        return ""
    return str(MODEL_CARD.get("summary", ""))


def flagged_ai_marks(case: Case) -> list[dict[str, Any]]:
    """The candidates the AI reader calls positive (confidence at or above its operating point), as a CAD
    system shows its marks; lower-scoring candidates stay hidden."""
    threshold = ai_operating_point()
    return [m for m in case.ai_marks if float(m.get("confidence", 0.0)) >= threshold]


def ensure_ai_marks(db: Session, data_dir: Path, case: Case) -> list[dict[str, Any]]:
    """The AI reader's marks for a case, computed from the stored images the first time they are needed
    (imported teaching cases and cases made before the model was installed get them this way)."""
    if case.ai_marks:
        return case.ai_marks
    import numpy as np

    series = case.series[0]
    instances = library.visible_series_for_system(db, series.study_uid, series.series_uid)
    if not instances:
        return []
    frames: list[Any] = []
    spacing: tuple[float, float] = (1.0, 1.0)
    for instance in instances:
        ds = library.load(data_dir, instance)
        raw = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing") or (1.0, 1.0)
        spacing = (float(raw[0]), float(raw[1]))
        pixels = ds.pixel_array.astype(np.float32)
        frames.extend(pixels if pixels.ndim == 3 else [pixels])
    marks = ai_candidates(np.asarray(frames), spacing, case.modality)
    case.ai_marks = marks
    db.flush()
    return marks


def generate_cases(db: Session, data_dir: Path, n_cases: int, *, modality: str = "xray", difficulty: str = "mixed",
                   abnormal_fraction: float = 0.5, seed: int = 0, created_by: User | None = None,
                   progress: Callable[[int, int, str], None] | None = None) -> list[Case]:
    """Generate and store a balanced set of synthetic cases; keys skip ones already stored (re-runs add none)."""
    from scanroom.reading import synthetic

    if not 1 <= n_cases <= 2000:
        raise ValidationProblem("n_cases", "Generate between 1 and 2000 cases at a time.")
    if not 0 <= abnormal_fraction <= 1:
        raise ValidationProblem("abnormal_fraction", "The abnormal fraction is between 0 and 1.")
    specs = synthetic.plan_set(n_cases, modality=modality, abnormal_fraction=abnormal_fraction,
                               difficulty=difficulty, seed=seed)
    existing = set(db.scalars(select(Case.key).where(Case.key.in_([s.case_key for s in specs]))))
    todo = [s for s in specs if s.case_key not in existing]
    created: list[Case] = []
    for index, built in enumerate(synthetic.generate_set(todo), start=1):
        created.append(store_synthetic_case(db, data_dir, built, created_by=created_by))
        if progress:
            progress(index, len(todo), built.spec.case_key)
    return created
