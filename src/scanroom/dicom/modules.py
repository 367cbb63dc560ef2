"""IOD modules of PS3.3, one function each, named as in the standard so a reviewer can tick the tables.

Each function sets the module's attributes on a dataset. Type 2 attributes are present (possibly empty);
type 3 are set when known. Scanroom's simulated patients are synthetic: names and ids say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID, generate_uid

from scanroom import __version__

MANUFACTURER = "Scanroom (simulated, for education only)"


@dataclass(frozen=True)
class StudyContext:
    """Who and when: the part of a DICOM header that is the same for every image of a study."""

    patient_name: str
    patient_id: str
    patient_sex: str = "O"  # M, F or O
    patient_birth_date: str = ""
    patient_age: str = ""  # e.g. "045Y"
    study_uid: str = ""
    study_description: str = ""
    accession_number: str = ""
    operator_name: str = ""
    when: datetime | None = None

    def moment(self) -> datetime:
        return self.when or datetime.now()


def new_dataset(sop_class_uid: str) -> Dataset:
    """An empty dataset with File Meta (PS3.10) for Explicit VR Little Endian."""
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class_uid
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"SCANROOM_{__version__}"[:16]
    ds.file_meta = meta
    return ds


def patient_module(ds: Dataset, ctx: StudyContext) -> None:
    """C.7.1.1 Patient Module."""
    ds.PatientName = ctx.patient_name
    ds.PatientID = ctx.patient_id
    ds.PatientBirthDate = ctx.patient_birth_date
    ds.PatientSex = ctx.patient_sex
    ds.PatientIdentityRemoved = "YES"  # synthetic patient: no real identity
    ds.DeidentificationMethod = "Synthetic digital patient (Scanroom simulator)"


def general_study_module(ds: Dataset, ctx: StudyContext) -> None:
    """C.7.2.1 General Study Module."""
    moment = ctx.moment()
    ds.StudyInstanceUID = ctx.study_uid or generate_uid()
    ds.StudyDate = moment.strftime("%Y%m%d")
    ds.StudyTime = moment.strftime("%H%M%S")
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = ctx.accession_number
    if ctx.study_description:
        ds.StudyDescription = ctx.study_description[:64]


def patient_study_module(ds: Dataset, ctx: StudyContext) -> None:
    """C.7.2.2 Patient Study Module (type 3 attributes only)."""
    if ctx.patient_age:
        ds.PatientAge = ctx.patient_age


def general_series_module(ds: Dataset, ctx: StudyContext, *, modality: str, series_uid: str,
                          series_number: int, description: str = "", body_part: str = "",
                          laterality: str | None = None) -> None:
    """C.7.3.1 General Series Module."""
    moment = ctx.moment()
    ds.Modality = modality
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDate = moment.strftime("%Y%m%d")
    ds.SeriesTime = moment.strftime("%H%M%S")
    if description:
        ds.SeriesDescription = description[:64]
    if body_part:
        ds.BodyPartExamined = body_part[:16]
    if laterality is not None:
        ds.Laterality = laterality
    if ctx.operator_name:
        ds.OperatorsName = ctx.operator_name


def general_equipment_module(ds: Dataset) -> None:
    """C.7.5.1 General Equipment Module."""
    ds.Manufacturer = MANUFACTURER
    ds.InstitutionName = "Scanroom training"
    ds.StationName = "SCANROOM"
    ds.ManufacturerModelName = "Scanroom simulator"
    ds.SoftwareVersions = __version__


def general_image_module(ds: Dataset, ctx: StudyContext, *, instance_number: int,
                         image_type: tuple[str, ...] = ("ORIGINAL", "PRIMARY"),
                         patient_orientation: tuple[str, str] | None = None) -> None:
    """C.7.6.1 General Image Module (with the acquisition date/time)."""
    moment = ctx.moment()
    ds.InstanceNumber = instance_number
    ds.PatientOrientation = list(patient_orientation) if patient_orientation else ""
    ds.ContentDate = moment.strftime("%Y%m%d")
    ds.ContentTime = moment.strftime("%H%M%S")
    ds.AcquisitionDateTime = moment.strftime("%Y%m%d%H%M%S")
    ds.ImageType = list(image_type)
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"


def image_pixel_module(ds: Dataset, pixels: np.ndarray, *, photometric: str = "MONOCHROME2",
                       bits_stored: int | None = None) -> None:
    """C.7.6.3 Image Pixel Module for one greyscale frame (uint16 unsigned or int16 signed)."""
    if pixels.ndim != 2:
        raise ValueError("image_pixel_module takes one 2-D frame")
    if pixels.dtype not in (np.uint16, np.int16):
        raise ValueError(f"pixels must be uint16 or int16, not {pixels.dtype}")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = (int(n) for n in pixels.shape)
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored or 16
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if pixels.dtype == np.int16 else 0
    ds.PixelData = np.ascontiguousarray(pixels.astype(pixels.dtype.newbyteorder("<"))).tobytes()
    ds["PixelData"].VR = "OW"


def voi_lut_module(ds: Dataset, *, centre: float, width: float, explanation: str = "") -> None:
    """C.11.2 VOI LUT Module (a linear window)."""
    ds.WindowCenter = f"{centre:.1f}"
    ds.WindowWidth = f"{max(width, 1.0):.1f}"
    if explanation:
        ds.WindowCenterWidthExplanation = explanation[:64]


def sop_common_module(ds: Dataset, *, sop_class_uid: str, sop_instance_uid: str, ctx: StudyContext) -> None:
    """C.12.1 SOP Common Module."""
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    ds.SpecificCharacterSet = "ISO_IR 192"
    moment = ctx.moment()
    ds.InstanceCreationDate = moment.strftime("%Y%m%d")
    ds.InstanceCreationTime = moment.strftime("%H%M%S")
    ds.file_meta.MediaStorageSOPClassUID = sop_class_uid
    ds.file_meta.MediaStorageSOPInstanceUID = sop_instance_uid


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    """A Code Sequence item (PS3.3 Table 8.8-1 basic code attributes)."""
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item
