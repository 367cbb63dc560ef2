"""The image library: DICOM instances stored under the data directory and indexed in the database.

Files are stored normalised (see ``normalise``) at ``<data_dir>/dicom/<study>/<series>/<sop>.dcm``.
Who may see an instance: gallery images every signed-in user; an owned image its owner, and admins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanroom.dicom.normalise import normalise, read_and_normalise
from scanroom.store.models import ImageInstance, Role, User

GALLERY = "gallery"


@dataclass(frozen=True)
class Sample:
    """A real image shipped by pydicom-data (or pydicom's own test files), for the sample gallery."""

    file_name: str
    title: str
    description: str


# Real images shipped inside installed packages: nothing is downloaded at run time.
SAMPLES: tuple[Sample, ...] = (
    Sample("RG1_UNCR.dcm", "Chest radiograph (CR, PA)",
           "Computed radiography of the thorax, 1955×1841, 16-bit MONOCHROME1."),
    Sample("RG3_UNCR.dcm", "Extremity radiograph: non-ossifying fibroma",
           "CR of the distal femur/knee region with a non-ossifying fibroma, 1760×1760."),
    Sample("693_UNCR.dcm", "CT head, axial slice", "CT 512×512, 5 mm plain, values in HU via rescale."),
    Sample("MR2_UNCR.dcm", "MR shoulder", "MR of the shoulder, 1024×1024."),
    Sample("MR-SIEMENS-DICOM-WithOverlays.dcm", "MR abdomen: liver with a marked lesion",
           "MR abdomen, 484×484."),
    Sample("emri_small.dcm", "MR multi-frame (10 frames)", "Small enhanced MR, 64×64×10: scroll through frames."),
    Sample("JPEG2000_UNC.dcm", "Nuclear medicine whole-body bone scan", "NM whole body bone, 1024×256."),
    Sample("OBXXXX1A.dcm", "Obstetric ultrasound", "US, 800×600, palette colour converted to RGB."),
)


def instance_path(data_dir: Path, study_uid: str, series_uid: str, sop_uid: str) -> Path:
    return data_dir / "dicom" / study_uid / series_uid / f"{sop_uid}.dcm"


def store_dataset(db: Session, data_dir: Path, ds: Dataset, *, collection: str, title: str = "",
                  description: str = "", owner_id: int | None = None) -> ImageInstance:
    """Normalise, write and index one dataset; re-storing the same SOP Instance UID returns the existing row."""
    ds = normalise(ds)
    sop_uid = str(ds.SOPInstanceUID)
    existing = db.scalar(select(ImageInstance).where(ImageInstance.sop_instance_uid == sop_uid))
    if existing is not None:
        return existing
    path = instance_path(data_dir, str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), sop_uid)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    instance = ImageInstance(
        study_uid=str(ds.StudyInstanceUID), series_uid=str(ds.SeriesInstanceUID), sop_instance_uid=sop_uid,
        sop_class_uid=str(ds.SOPClassUID), modality=str(ds.get("Modality", "OT")),
        instance_number=int(ds.InstanceNumber) if ds.get("InstanceNumber") not in (None, "") else None,
        number_of_frames=int(ds.get("NumberOfFrames", 1) or 1), rows=int(ds.Rows), columns=int(ds.Columns),
        relative_path=str(path.relative_to(data_dir)), collection=collection, title=title,
        description=description, owner_id=owner_id)
    db.add(instance)
    db.flush()
    return instance


def seed_gallery(db: Session, data_dir: Path, progress: Callable[[str], None] | None = None) -> int:
    """Store the sample images; returns how many are in the gallery afterwards."""
    from pydicom.data import get_testdata_file

    for sample in SAMPLES:
        source = get_testdata_file(sample.file_name, download=False)
        if source is None:
            raise FileNotFoundError(
                f"Sample {sample.file_name} is not installed; install the pydicom-data package.")
        if progress:
            progress(f"storing sample: {sample.title}")
        ds = read_and_normalise(str(source))
        store_dataset(db, data_dir, ds, collection=GALLERY, title=sample.title, description=sample.description)
    return len(gallery(db))


def gallery(db: Session) -> list[ImageInstance]:
    return list(db.scalars(select(ImageInstance).where(ImageInstance.collection == GALLERY)
                           .order_by(ImageInstance.id)))


CollectionRule = Callable[[Session, User, ImageInstance], bool]
_COLLECTION_RULES: dict[str, CollectionRule] = {}


def register_collection_rule(collection: str, rule: CollectionRule) -> None:
    """Let a domain service decide who else may open a collection's images (e.g. the reading room's cases)."""
    _COLLECTION_RULES[collection] = rule


def can_view(user: User, instance: ImageInstance, db: Session | None = None) -> bool:
    if instance.collection == GALLERY:
        return True
    if user.role == Role.ADMIN or instance.owner_id == user.id:
        return True
    rule = _COLLECTION_RULES.get(instance.collection)
    return bool(rule is not None and db is not None and rule(db, user, instance))


def visible_series(db: Session, user: User, study_uid: str, series_uid: str) -> list[ImageInstance]:
    """Instances of a series the user may see, ordered for display; empty if none (or none visible)."""
    rows = db.scalars(select(ImageInstance).where(ImageInstance.study_uid == study_uid,
                                                  ImageInstance.series_uid == series_uid))
    visible = [row for row in rows if can_view(user, row, db)]
    return sorted(visible, key=lambda r: (r.instance_number is None, r.instance_number or 0, r.id))


def visible_series_for_system(db: Session, study_uid: str, series_uid: str) -> list[ImageInstance]:
    """Every instance of a series in display order, for server-side processing (no viewer is involved)."""
    rows = db.scalars(select(ImageInstance).where(ImageInstance.study_uid == study_uid,
                                                  ImageInstance.series_uid == series_uid))
    return sorted(rows, key=lambda r: (r.instance_number is None, r.instance_number or 0, r.id))


def visible_studies(db: Session, user: User) -> list[ImageInstance]:
    return [row for row in db.scalars(select(ImageInstance).order_by(ImageInstance.id)) if can_view(user, row, db)]


@lru_cache(maxsize=16)
def _read_cached(path: str, mtime_ns: int) -> Dataset:
    return pydicom.dcmread(path)


def load(data_dir: Path, instance: ImageInstance) -> Dataset:
    """The stored dataset (cached by path and modification time)."""
    path = data_dir / instance.relative_path
    if not path.exists():
        raise FileNotFoundError(f"Stored file for {instance.sop_instance_uid} is missing.")
    return _read_cached(str(path), path.stat().st_mtime_ns)
