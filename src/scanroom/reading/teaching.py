"""Real teaching files as cases: imported DICOM (folder, zip, DICOMweb) becomes de-identified draft cases the
instructor completes (question, truth marked in the viewer) and publishes; the starter library comes from the
real images bundled with pydicom-data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.dicom import teaching_import
from scanroom.reading.cases import FindingInput, create_case, publish
from scanroom.store.models import User
from scanroom.store.models_reading import Case, CaseSource, CaseStatus

Progress = Callable[[int, int, str], None]


@dataclass
class CaseImportReport:
    cases: list[Case] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    already_stored: int = 0


def _key_for(series_uid: str) -> str:
    return "teach-" + hashlib.sha1(series_uid.encode()).hexdigest()[:12]


def _cases_from(db: Session, report: teaching_import.ImportReport, created_by: User | None) -> CaseImportReport:
    out = CaseImportReport(skipped=list(report.skipped), already_stored=report.already_stored)
    for series in report.series:
        key = _key_for(series.series_uid)
        existing = db.scalar(select(Case).where(Case.key == key))
        if existing is not None:
            out.cases.append(existing)
            continue
        out.cases.append(create_case(
            db, key=key, title=f"{series.modality} teaching case ({series.description or 'imported'})"[:200],
            modality=series.modality.lower(), series=[(series.study_uid, series.series_uid, series.description)],
            abnormal=False, source=CaseSource.TEACHING, status=CaseStatus.DRAFT, created_by=created_by))
    db.flush()
    return out


def import_as_draft_cases(db: Session, data_dir: Path, paths: Sequence[Path], *, created_by: User | None = None,
                          progress: Progress | None = None) -> CaseImportReport:
    """De-identify and store files/folders/zips, one draft case per imported series."""
    report = teaching_import.import_paths(db, data_dir, paths, owner_id=None, collection="case", progress=progress)
    return _cases_from(db, report, created_by)


def pull_as_draft_cases(db: Session, data_dir: Path, base_url: str, *, study_uids: Sequence[str] | None = None,
                        query: dict[str, str] | None = None, created_by: User | None = None,
                        progress: Progress | None = None) -> CaseImportReport:
    """Pull studies from a PACS over DICOMweb (QIDO-RS + WADO-RS), de-identified, as draft cases."""
    report = teaching_import.import_dicomweb(db, data_dir, base_url, study_uids=study_uids, query=query,
                                             owner_id=None, collection="case", progress=progress)
    return _cases_from(db, report, created_by)


@dataclass(frozen=True)
class StarterCase:
    """A real image from pydicom-data with the truth marked by us (pixel coordinates of the stored image)."""

    file: str
    key: str
    title: str
    history: str
    question: str
    diagnosis: str
    choices: tuple[str, ...]
    teaching_points: tuple[str, ...]
    references: tuple[str, ...]
    tags: tuple[str, ...]
    findings: tuple[tuple[float, float, float, str], ...] = ()  # (x, y, acceptance radius, label)
    difficulty: str = "easy"


STARTER_CASES = (
    StarterCase(
        file="RG3_UNCR.dcm", key="starter-tibia-nof", title="Distal tibia: lucent metaphyseal lesion",
        history="14-year-old with ankle pain after a football tackle. Radiograph of the right tibia and fibula.",
        question="Is there a bone lesion? Mark it and choose the most likely diagnosis.",
        diagnosis="Non-ossifying fibroma of the distal tibia",
        choices=("No abnormality", "Non-ossifying fibroma of the distal tibia", "Osteosarcoma",
                 "Stress fracture", "Osteomyelitis"),
        teaching_points=(
            "A well-defined, eccentric, lobulated lucency in the metaphysis of a long bone with a thin sclerotic "
            "rim in a child or adolescent is typically a non-ossifying fibroma: a 'don't touch' lesion.",
            "Features against an aggressive lesion: narrow zone of transition, sclerotic margin, no periosteal "
            "reaction, no soft-tissue mass.",
            "NOFs heal by sclerosis as the skeleton matures; large ones (>50% of the bone width) may fracture.",
        ),
        references=("Helms CA. Fundamentals of Skeletal Radiology, 4th ed., 2014: 'don't touch' lesions.",
                    "Radiopaedia: Non-ossifying fibroma (rID 1738)."),
        tags=("extremity", "bone", "tibia", "paediatric"),
        findings=((860.0, 1110.0, 130.0, "Non-ossifying fibroma"),), difficulty="moderate"),
    StarterCase(
        file="RG1_UNCR.dcm", key="starter-chest-normal", title="Chest radiograph",
        history="Pre-employment chest radiograph; no symptoms.",
        question="Is there a pulmonary nodule or other focal abnormality? Mark any you see.",
        diagnosis="Normal chest radiograph",
        choices=("No abnormality", "Pulmonary nodule", "Pneumothorax", "Pleural effusion", "Consolidation"),
        teaching_points=("Use a systematic search: lines and tubes, airway, lungs (zones, compare sides), "
                         "pleura, heart and mediastinum, diaphragm, bones and soft tissues, review areas "
                         "(apices, behind the heart, below the diaphragm).",
                         "Knowing normal anatomy well is what lets a reader call a radiograph normal with "
                         "confidence."),
        references=("Goodman LR. Felson's Principles of Chest Roentgenology, 5th ed., 2020.",),
        tags=("chest", "normal")),
)


def seed_starter_library(db: Session, data_dir: Path, *, created_by: User | None = None) -> list[Case]:
    """Import the starter cases (de-identified like any teaching file), mark their truth and publish them."""
    from pydicom.data import get_testdata_file

    created: list[Case] = []
    for starter in STARTER_CASES:
        existing = db.scalar(select(Case).where(Case.key == starter.key))
        if existing is not None:
            created.append(existing)
            continue
        path = get_testdata_file(starter.file)
        if path is None:
            continue
        report = teaching_import.import_paths(db, data_dir, [Path(str(path))], owner_id=None, collection="case")
        if not report.series:
            continue
        series = report.series[0]
        findings = [FindingInput(series_uid=series.series_uid, x=x, y=y, radius=r, label=label,
                                 lesion_type=label.lower().replace(" ", "-"))
                    for x, y, r, label in starter.findings]
        case = create_case(
            db, key=starter.key, title=starter.title, modality=series.modality.lower(),
            series=[(series.study_uid, series.series_uid, "")], findings=findings, history=starter.history,
            question=starter.question, diagnosis=starter.diagnosis, diagnosis_choices=starter.choices,
            teaching_points=starter.teaching_points, references=starter.references, tags=starter.tags,
            body_region=starter.tags[0], pathology=starter.diagnosis if starter.findings else "normal",
            difficulty=starter.difficulty, source=CaseSource.SAMPLE, created_by=created_by)
        publish(case)
        created.append(case)
    db.flush()
    return created
