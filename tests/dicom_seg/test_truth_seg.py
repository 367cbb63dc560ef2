"""Ground-truth DICOM Segmentation: one BINARY segment per truth mask, on the real writers' image instances."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset

from scanroom.dicom.export import to_datasets
from scanroom.dicom.modules import StudyContext
from scanroom.dicom.seg import (
    ALGORITHM_NAME,
    LESION_CODES,
    SEGMENTATION_STORAGE,
    SERIES_DESCRIPTION,
    lesion_type_of,
    truth_segmentation,
)
from scanroom.physics.patients.lesions import LESION_TYPES
from scanroom.scanner.base import Acquisition, PatientRequest, ScanProtocol
from tests.dicom_writers._support import dciodvfy

# the algorithm family is a local code (99SCANROOM, declared in the Coding Scheme Identification Sequence);
# dciodvfy knows only the standard's coding schemes and warns about it
LOCAL_SCHEME_WARNING = "Warning - Unrecognized defined term <99SCANROOM> for value 1 of attribute " \
                       "<Coding Scheme Designator>"

CTX = StudyContext(patient_name="SIMULATED^TRUTH", patient_id="SIM-SEG-1", patient_sex="F", patient_age="050Y",
                   when=datetime(2024, 7, 1, 11, 0))
SLICES = 4


class _Protocol(ScanProtocol):
    kvp: float = 100.0


def _sphere(shape: tuple[int, int, int], centre: tuple[float, float, float], radius: float,
            spacing: tuple[float, float, float]) -> np.ndarray:
    """Boolean ball of ``radius`` mm at ``centre`` (frame, row, column indices) on a grid with ``spacing`` mm."""
    grid = np.indices(shape, dtype=float)
    distance2 = sum(((grid[k] - centre[k]) * spacing[k]) ** 2 for k in range(3))
    return np.asarray(distance2 <= radius**2)


def _acquisition(modality: str, images: np.ndarray, spacing: tuple[float, float], dicom: dict[str, Any],
                 masks: dict[str, np.ndarray], **extra: Any) -> Acquisition:
    return Acquisition(modality=modality, patient=PatientRequest(patient_id="SIM-SEG-1"), protocol=_Protocol(),
                       images=images, pixel_spacing_mm=spacing, truth_masks=masks, dicom=dicom, **extra)


def _dx(masks: dict[str, np.ndarray] | None = None) -> Acquisition:
    rows, cols = 64, 48
    image = (np.arange(rows * cols).reshape(rows, cols) % 4000).astype(np.uint16)[None]
    if masks is None:  # a 12 mm nodule projected as a disc; a rib fracture line
        nodule = _sphere((1, rows, cols), (0, 20, 15), 6.0, (1.0, 0.5, 0.5))
        fracture = np.zeros((1, rows, cols), dtype=bool)
        fracture[0, 40:44, 25:40] = True
        masks = {"lung-nodule-1": nodule, "rib-fracture-2": fracture}
    return _acquisition("xray", image, (0.5, 0.5), {"kvp": 100.0, "mas": 2.0, "body_part": "CHEST"}, masks,
                        display={"photometric": "MONOCHROME2", "window_centre": 2000.0, "window_width": 4000.0,
                                 "bits_stored": 12})


def _ct(*, scout: bool = False) -> Acquisition:
    rows = cols = 32
    images = np.full((SLICES, rows, cols), 1024, dtype=np.int16)
    # 3 mm spacing: a 4 mm cyst on slices 1-2 only, a 2.5 mm stone on slice 3 (frame 0 empty for both)
    cyst = _sphere((SLICES, rows, cols), (1.5, 12, 12), 4.0, (3.0, 0.8, 0.8))
    stone = _sphere((SLICES, rows, cols), (3, 22, 20), 2.5, (3.0, 0.8, 0.8))
    dicom: dict[str, Any] = {"kvp": 120.0, "slice_mm": 3.0, "slice_spacing_mm": 3.0,
                             "slice_positions_mm": [-100.0 - 3.0 * k for k in range(SLICES)]}
    acq = _acquisition("ct", images, (0.8, 0.8), dicom, {"liver-cyst-1": cyst, "renal-stone-2": stone})
    if scout:
        acq.extras["scout"] = np.full((40, 30), 1500, dtype=np.uint16)
        acq.dicom["scout"] = {"pixel_spacing_mm": (1.5, 2.5), "kvp": 120.0, "mas": 40.0, "view": "AP"}
    return acq


def _mr() -> Acquisition:
    rows, cols = 32, 24
    images = np.full((SLICES, rows, cols), 800, dtype=np.uint16)
    a = np.radians(15.0)  # axial-oblique, 5 mm slices with a 1 mm gap
    row, col = np.array([1.0, 0.0, 0.0]), np.array([0.0, np.cos(a), -np.sin(a)])
    normal = np.cross(row, col)
    first = np.array([-10.0, -12.0, 30.0])
    dicom = {"scanning_sequence": "SE", "sequence_variant": "SK", "tr_ms": 9000.0, "te_ms": 110.0,
             "slice_mm": 5.0, "gap_mm": 1.0, "image_orientation": [*row, *col],
             "slice_positions": [list(first + normal * 6.0 * k) for k in range(SLICES)]}
    plaque = _sphere((SLICES, rows, cols), (2, 16, 12), 5.0, (6.0, 1.0, 1.0))
    return _acquisition("mri", images, (1.0, 1.0), dicom, {"ms-lesions-1": plaque})


def _images(acq: Acquisition) -> list[Dataset]:
    return [ds for ds in to_datasets(acq, CTX) if ds.Modality != "SR"]


def _write(seg: Dataset, tmp_path: Path) -> Path:
    path = tmp_path / "SEG.dcm"
    seg.save_as(path, enforce_file_format=True)
    return path


def _assert_valid(path: Path) -> None:
    errors, warnings = dciodvfy(path)
    assert errors == [], errors
    assert set(warnings) <= {LOCAL_SCHEME_WARNING}, warnings


def _assert_round_trip(path: Path, acq: Acquisition, sources: list[Dataset]) -> hd.seg.Segmentation:
    seg = hd.seg.segread(path)
    uids = [ds.SOPInstanceUID for ds in sources]
    referenced = [item.ReferencedSOPInstanceUID for series in seg.ReferencedSeriesSequence
                  for item in series.ReferencedInstanceSequence]
    assert sorted(referenced) == sorted(uids)
    pixels = seg.get_pixels_by_source_instance(uids, segment_numbers=list(range(1, len(acq.truth_masks) + 1)),
                                               assert_missing_frames_are_empty=True)
    for index, mask in enumerate(acq.truth_masks.values()):
        np.testing.assert_array_equal(pixels[..., index].astype(bool), mask)
    return seg


def test_dx_truth_segmentation(tmp_path: Path) -> None:
    acq = _dx()
    datasets = to_datasets(acq, CTX)
    images = [ds for ds in datasets if ds.Modality == "DX"]
    assert len(images) == 1 and len(datasets) == 2
    seg = truth_segmentation(acq, datasets)  # the dose report is passed over
    assert seg is not None
    path = _write(seg, tmp_path)
    _assert_valid(path)
    read = _assert_round_trip(path, acq, images)
    assert read.SOPClassUID == SEGMENTATION_STORAGE and read.Modality == "SEG"
    assert read.SegmentationType == "BINARY"
    assert read.NumberOfFrames == 2
    assert read.StudyInstanceUID == images[0].StudyInstanceUID
    assert read.PatientID == "SIM-SEG-1" and read.PatientName == "SIMULATED^TRUTH"
    assert read.SeriesDescription == SERIES_DESCRIPTION
    assert read.SeriesInstanceUID != images[0].SeriesInstanceUID
    assert read.PatientOrientation == images[0].PatientOrientation  # no patient coordinate system for DX
    nodule, fracture = read.SegmentSequence
    assert nodule.SegmentLabel == "lung-nodule-1" and fracture.SegmentLabel == "rib-fracture-2"
    assert nodule.SegmentDescription == LESION_TYPES["lung-nodule"].description
    assert nodule.TrackingID == "lung-nodule-1"
    assert nodule.SegmentedPropertyCategoryCodeSequence[0].CodeValue == "49755003"
    assert nodule.SegmentedPropertyTypeCodeSequence[0].CodeValue == "27925004"
    assert fracture.SegmentedPropertyTypeCodeSequence[0].CodeValue == "72704001"
    assert nodule.AnatomicRegionSequence[0].CodeValue == "39607008"
    assert fracture.AnatomicRegionSequence[0].CodeValue == "113197003"
    for item in read.SegmentSequence:
        assert item.SegmentAlgorithmType == "AUTOMATIC" and item.SegmentAlgorithmName == ALGORITHM_NAME
        assert item.SegmentationAlgorithmIdentificationSequence[0].AlgorithmName == ALGORITHM_NAME


def test_ct_truth_segmentation_references_the_axial_series(tmp_path: Path) -> None:
    acq = _ct(scout=True)
    datasets = to_datasets(acq, CTX)
    axial = [ds for ds in datasets if ds.Modality == "CT" and ds.ImageType[2] == "AXIAL"]
    assert len(axial) == SLICES and len(datasets) == SLICES + 2  # + scout + dose report
    seg = truth_segmentation(acq, datasets)
    assert seg is not None
    path = _write(seg, tmp_path)
    _assert_valid(path)
    read = _assert_round_trip(path, acq, axial)
    assert read.FrameOfReferenceUID == axial[0].FrameOfReferenceUID
    # empty frames are left out: one per slice a segment touches
    touched = sum(int(mask[k].any()) for mask in acq.truth_masks.values() for k in range(SLICES))
    assert read.NumberOfFrames == touched < SLICES * len(acq.truth_masks)
    cyst, stone = read.SegmentSequence
    assert cyst.SegmentedPropertyTypeCodeSequence[0].CodeValue == "367643001"
    assert stone.SegmentedPropertyTypeCodeSequence[0].CodeValue == "56381008"
    # each frame points back at its slice, in the right place
    positions = {ds.SOPInstanceUID: [float(v) for v in ds.ImagePositionPatient] for ds in axial}
    for frame in read.PerFrameFunctionalGroupsSequence:
        source = frame.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        position = frame.PlanePositionSequence[0].ImagePositionPatient
        assert [float(v) for v in position] == pytest.approx(positions[source])


def test_mr_oblique_truth_segmentation(tmp_path: Path) -> None:
    acq = _mr()
    images = _images(acq)
    assert len(images) == SLICES
    seg = truth_segmentation(acq, list(reversed(images)))  # any order: frames follow Instance Number
    assert seg is not None
    path = _write(seg, tmp_path)
    _assert_valid(path)
    read = _assert_round_trip(path, acq, images)
    assert read.FrameOfReferenceUID == images[0].FrameOfReferenceUID
    assert read.SegmentSequence[0].SegmentedPropertyTypeCodeSequence[0].CodeValue == "32693004"
    assert read.SegmentSequence[0].AnatomicRegionSequence[0].CodeValue == "12738006"


def test_no_truth_masks_no_segmentation() -> None:
    acq = _dx(masks={})
    assert truth_segmentation(acq, _images(acq)) is None


def test_lesion_outside_the_image_keeps_its_segment(tmp_path: Path) -> None:
    acq = _dx()
    acq.truth_masks["liver-cyst-3"] = np.zeros_like(acq.truth_masks["lung-nodule-1"])
    seg = truth_segmentation(acq, _images(acq))
    assert seg is not None
    path = _write(seg, tmp_path)
    _assert_valid(path)
    read = pydicom.dcmread(path)
    assert [s.SegmentLabel for s in read.SegmentSequence] == ["lung-nodule-1", "rib-fracture-2", "liver-cyst-3"]
    assert read.NumberOfFrames == 2


def test_mismatched_masks_or_images_are_refused() -> None:
    acq = _ct()
    images = _images(acq)
    with pytest.raises(ValueError, match="image instance"):
        truth_segmentation(acq, images[:-1])
    acq.truth_masks["liver-cyst-1"] = acq.truth_masks["liver-cyst-1"][:, :-1]
    with pytest.raises(ValueError, match="shape"):
        truth_segmentation(acq, images)


def test_every_lesion_type_is_coded() -> None:
    assert set(LESION_CODES) == set(LESION_TYPES)
    for coding in LESION_CODES.values():
        assert coding.property_type.scheme_designator == "SCT" and coding.property_type.value.isdigit()
        assert coding.anatomic_region is not None
    assert lesion_type_of("lung-nodule-12") == "lung-nodule"
    assert lesion_type_of("pneumothorax") == "pneumothorax"
