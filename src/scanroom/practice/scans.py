"""Run an acquisition for a person and keep it: images into the library, a ScanRecord into the history.

All or nothing: the acquisition and its DICOM are made first, in memory; only then are files written and
rows added, and files written for a scan whose rows fail are removed again. A failed exposure therefore
saves nothing half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.dicom import library
from scanroom.dicom.export import to_datasets
from scanroom.dicom.modules import StudyContext
from scanroom.scanner.base import Acquisition, PatientRequest, Progress, ScanProtocol
from scanroom.scanner.registry import acquire
from scanroom.store.models import ImageInstance, ScanRecord, User

ACQUISITION = "acquisition"


def study_context(patient: PatientRequest, *, operator: str = "", description: str = "") -> StudyContext:
    """The synthetic patient's identity, as it appears in every DICOM header."""
    sex = {"adult-male": "M", "adult-female": "F"}.get(patient.patient_id, "O")
    age = {"adult-male": "035Y", "adult-female": "035Y", "child-5y": "005Y"}.get(patient.patient_id, "")
    return StudyContext(patient_name=f"SIMULATED^{patient.patient_id.upper()}", patient_id=f"SIM-{patient.patient_id}",
                        patient_sex=sex, patient_age=age, study_uid=generate_uid(), study_description=description,
                        operator_name=operator)


def datasets_for(acquisition: Acquisition, ctx: StudyContext) -> list[Dataset]:
    return to_datasets(acquisition, ctx)


@dataclass
class ScanResult:
    record: ScanRecord
    acquisition: Acquisition
    instances: list[ImageInstance]


def run_scan(db: Session, data_dir: Path, user: User, modality: str, patient: PatientRequest,
             protocol: ScanProtocol, *, preset: str = "", progress: Progress | None = None) -> ScanResult:
    """Acquire, export and store one scan for ``user``. Raises ProtocolError before anything is saved."""
    acquisition = acquire(modality, patient, protocol, progress=progress)
    ctx = study_context(patient, operator=user.username, description=f"{modality.upper()} {preset}".strip())
    datasets = datasets_for(acquisition, ctx)
    written: list[Path] = []
    try:
        with db.begin_nested():
            instances = []
            for ds in datasets:
                if "PixelData" not in ds:
                    continue  # dose reports are kept with the files of the CLI export, not in the image library
                instance = library.store_dataset(db, data_dir, ds, collection=ACQUISITION,
                                                 title=f"{modality.upper()} {preset}".strip(), owner_id=user.id)
                written.append(data_dir / instance.relative_path)
                instances.append(instance)
            first = datasets[0]
            record = ScanRecord(user_id=user.id, modality=modality, preset=preset,
                                patient=patient.model_dump(mode="json"), protocol=protocol.model_dump(mode="json"),
                                dose=acquisition.summary()["dose"], quality=acquisition.summary()["quality"],
                                feedback=acquisition.summary()["feedback"], study_uid=str(first.StudyInstanceUID),
                                series_uid=str(first.SeriesInstanceUID))
            db.add(record)
            db.flush()
    except Exception:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return ScanResult(record, acquisition, instances)


def history(db: Session, user: User, modality: str | None = None, limit: int = 100) -> list[ScanRecord]:
    query = select(ScanRecord).where(ScanRecord.user_id == user.id)
    if modality:
        query = query.where(ScanRecord.modality == modality)
    return list(db.scalars(query.order_by(ScanRecord.id.desc()).limit(limit)))
