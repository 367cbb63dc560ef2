"""MR writer: an MR Image Storage series with the sequence attributes and stackable geometry, valid for dciodvfy."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from scanroom.dicom.export import to_datasets, write_files
from scanroom.dicom.modules import GYROMAGNETIC_MHZ_PER_T, StudyContext
from scanroom.dicom.writers.mri import MR_IMAGE, ORIENTATIONS
from scanroom.scanner.base import Acquisition, PatientRequest, ScanProtocol
from tests.dicom_writers._support import dciodvfy

SLICES, ROWS, COLS = 5, 64, 48
SPACING = (0.9, 0.8)  # (row, column) mm
# DiffusionBValue (0018,9087) belongs to the Enhanced MR IOD; in MR Image Storage it makes a Standard Extended
# SOP Class, which dciodvfy reports as warnings
DIFFUSION_WARNINGS = {
    "Warning - Attribute is not present in standard DICOM IOD - (0x0018,0x9087) FD Diffusion b-value ",
    "Warning - Dicom dataset contains attributes not present in standard DICOM IOD - this is a Standard Extended "
    "SOP Class",
}


class _Protocol(ScanProtocol):
    sequence: str = "t1-se"


def _images() -> np.ndarray:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:ROWS, :COLS]
    head = ((yy - ROWS / 2) / (0.45 * ROWS)) ** 2 + ((xx - COLS / 2) / (0.45 * COLS)) ** 2 < 1
    base = np.where(head, 1800.0, 0.0)
    stack = np.stack([base * (1 + 0.1 * k) + rng.normal(40, 10, (ROWS, COLS)) for k in range(SLICES)])
    return np.clip(stack, 0, 65535).astype(np.uint16)


def _oblique() -> tuple[np.ndarray, np.ndarray]:
    """An axial-oblique orientation (20° about the patient's left-right axis)."""
    a = np.radians(20.0)
    row = np.array([1.0, 0.0, 0.0])
    col = np.array([0.0, np.cos(a), -np.sin(a)])
    return row, col


def _t1_se() -> dict[str, Any]:
    row, col = _oblique()
    normal = np.cross(row, col)
    first = np.array([-20.0, -30.0, 40.0])
    step = 5.0 + 1.0
    return {
        "sequence_id": "t1-se", "sequence_name": "T1 SE", "scanning_sequence": "SE", "sequence_variant": "SK",
        "scan_options": "", "tr_ms": 500.0, "te_ms": 15.0, "flip_deg": 90.0, "etl": 1, "field_t": 1.5, "nex": 2.0,
        "bw_hz_px": 130.0, "matrix": (256, 192), "phase_dir": "COL", "percent_sampling": 100.0,
        "percent_phase_fov": 75.0, "slice_mm": 5.0, "gap_mm": 1.0, "orientation": "axial",
        "image_orientation": [*row, *col], "slice_positions": [list(first + normal * step * k) for k in range(SLICES)],
        "body_part": "HEAD", "anatomic_region": ("69536005", "SCT", "Head"), "coil": "HEAD-8", "sar_wkg": 1.4,
        "b_value": None, "series_description": "T1 SE axial", "dbdt_tps": 22.5,
    }


def _acquisition(dicom: dict[str, Any], *, images: np.ndarray | None = None,
                 display: dict[str, Any] | None = None) -> Acquisition:
    return Acquisition(modality="mri", patient=PatientRequest(patient_id="SIM-MR-1"), protocol=_Protocol(),
                       images=_images() if images is None else images, pixel_spacing_mm=SPACING,
                       display={"window_centre": 1000.0, "window_width": 2200.0} if display is None else display,
                       dicom=dicom)


CTX = StudyContext(patient_name="SIMULATED^MR", patient_id="SIM-MR-1", patient_sex="F", patient_age="038Y",
                   study_description="MRI head", when=datetime(2024, 6, 3, 10, 15))


def _write(acq: Acquisition, tmp_path: Path) -> list[Path]:
    return write_files(to_datasets(acq, CTX), tmp_path)


def _assert_valid(path: Path, allowed: set[str] | None = None) -> None:
    errors, warnings = dciodvfy(path)
    assert errors == [], f"{path.name}: {errors}"
    assert set(warnings) <= (allowed or set()), f"{path.name}: {warnings}"


def test_t1_se_series_passes_dciodvfy(tmp_path: Path) -> None:
    paths = _write(_acquisition(_t1_se()), tmp_path)
    assert len(paths) == SLICES
    for path in (paths[0], paths[-1]):
        _assert_valid(path)


def test_flair_dwi_adc_and_minimal_contracts_pass_dciodvfy(tmp_path: Path) -> None:
    flair = {**_t1_se(), "sequence_id": "flair", "sequence_name": "T2 FLAIR", "scanning_sequence": "SE\\IR",
             "sequence_variant": "SK\\SP\\MP", "scan_options": "\\FS", "tr_ms": 9000.0, "te_ms": 110.0,
             "ti_ms": 2500.0, "flip_deg": 150.0, "etl": 16}
    dwi = {**_t1_se(), "sequence_id": "dwi", "sequence_name": "DWI", "scanning_sequence": ["EP", "SE"],
           "sequence_variant": "SK", "tr_ms": 4000.0, "te_ms": 80.0, "etl": 64, "b_value": 1000.0,
           "phase_dir": "ROW"}
    adc = {**dwi, "image_type_extra": "ADC", "b_value": None}
    minimal = {"scanning_sequence": "GR"}
    for name, dicom, allowed in (("flair", flair, set()), ("dwi", dwi, DIFFUSION_WARNINGS), ("adc", adc, set()),
                                 ("minimal", minimal, set())):
        paths = _write(_acquisition(dicom, display={} if name == "minimal" else None), tmp_path / name)
        _assert_valid(paths[0], allowed)
    flair_ds = pydicom.dcmread(tmp_path / "flair" / "MR-0001.dcm")
    assert flair_ds.ScanningSequence == ["SE", "IR"] and float(flair_ds.InversionTime) == 2500.0
    assert flair_ds.SequenceVariant == ["SK", "SP", "MP"] and flair_ds.ScanOptions == "FS"
    dwi_ds = pydicom.dcmread(tmp_path / "dwi" / "MR-0001.dcm")
    assert dwi_ds.DiffusionBValue == 1000.0 and dwi_ds.ImageType == ["ORIGINAL", "PRIMARY", "OTHER"]
    assert "InversionTime" not in dwi_ds
    assert dwi_ds.InPlanePhaseEncodingDirection == "ROW" and dwi_ds.AcquisitionMatrix == [0, 256, 192, 0]
    adc_ds = pydicom.dcmread(tmp_path / "adc" / "MR-0001.dcm")
    assert adc_ds.ImageType == ["DERIVED", "SECONDARY", "DIFFUSION MAP", "ADC"] and "DiffusionBValue" not in adc_ds
    minimal_ds = pydicom.dcmread(tmp_path / "minimal" / "MR-0001.dcm")
    assert minimal_ds.SequenceVariant == "NONE"
    assert minimal_ds["EchoTime"].is_empty and minimal_ds["RepetitionTime"].is_empty  # type 2: present, empty
    assert [float(v) for v in minimal_ds.ImageOrientationPatient] == list(ORIENTATIONS["axial"])


def test_geometry_stacks_along_the_slice_normal(tmp_path: Path) -> None:
    acq = _acquisition(_t1_se())
    images = [pydicom.dcmread(p) for p in _write(acq, tmp_path)]
    row, col = _oblique()
    normal = np.cross(row, col)
    spacing = float(images[0].SpacingBetweenSlices)
    assert spacing == pytest.approx(6.0)  # slice 5 mm + gap 1 mm
    assert float(images[0].SliceThickness) == 5.0
    assert len({ds.FrameOfReferenceUID for ds in images}) == 1 and len({ds.SeriesInstanceUID for ds in images}) == 1
    for index, ds in enumerate(images):
        assert ds.InstanceNumber == index + 1 and "PatientOrientation" not in ds
        orientation = np.array([float(v) for v in ds.ImageOrientationPatient])
        np.testing.assert_allclose(orientation, [*row, *col], atol=1e-7)
        assert [float(v) for v in ds.PixelSpacing] == list(SPACING)
        position = np.array([float(v) for v in ds.ImagePositionPatient])
        np.testing.assert_allclose(position, acq.dicom["slice_positions"][index], atol=1e-5)
        assert float(ds.SliceLocation) == pytest.approx(float(position @ normal), abs=1e-5)
        if index:
            previous = np.array([float(v) for v in images[index - 1].ImagePositionPatient])
            np.testing.assert_allclose(position - previous, normal * spacing, atol=1e-5)
    # a viewer's voxel → patient mapping: pixel (r, c) of slice k
    first = np.array([float(v) for v in images[0].ImagePositionPatient])
    r, c, k = 10, 7, 3
    expected = first + row * c * SPACING[1] + col * r * SPACING[0] + normal * spacing * k
    last = np.array([float(v) for v in images[k].ImagePositionPatient])
    np.testing.assert_allclose(last + row * c * SPACING[1] + col * r * SPACING[0], expected, atol=1e-5)


@pytest.mark.parametrize("orientation", ["axial", "coronal", "sagittal"])
def test_default_geometry_is_centred_on_the_isocentre(orientation: str, tmp_path: Path) -> None:
    dicom = {"scanning_sequence": "SE", "sequence_variant": "SK", "slice_mm": 4.0, "gap_mm": 0.5,
             "orientation": orientation}
    images = [pydicom.dcmread(p) for p in _write(_acquisition(dicom), tmp_path)]
    cosines = np.array([float(v) for v in images[0].ImageOrientationPatient])
    np.testing.assert_array_equal(cosines, ORIENTATIONS[orientation])
    row, col = cosines[:3], cosines[3:]
    normal = np.cross(row, col)
    middle = images[SLICES // 2]
    centre = (np.array([float(v) for v in middle.ImagePositionPatient])
              + row * SPACING[1] * (COLS - 1) / 2 + col * SPACING[0] * (ROWS - 1) / 2)
    np.testing.assert_allclose(centre, 0.0, atol=1e-6)
    steps = np.diff([[float(v) for v in ds.ImagePositionPatient] for ds in images], axis=0)
    np.testing.assert_allclose(steps, np.tile(normal * 4.5, (SLICES - 1, 1)), atol=1e-6)
    assert float(images[0].SpacingBetweenSlices) == pytest.approx(4.5)


def test_mr_attributes_read_back(tmp_path: Path) -> None:
    acq = _acquisition(_t1_se())
    paths = _write(acq, tmp_path)
    ds = pydicom.dcmread(paths[1])
    assert ds.SOPClassUID == MR_IMAGE and ds.file_meta.MediaStorageSOPClassUID == MR_IMAGE
    assert ds.Modality == "MR" and ds.PatientPosition == "HFS" and ds.BodyPartExamined == "HEAD"
    assert ds.SeriesDescription == "T1 SE axial" and ds.SequenceName == "T1 SE"
    assert ds.ImageType == ["ORIGINAL", "PRIMARY", "OTHER"]
    assert ds.ScanningSequence == "SE" and ds.SequenceVariant == "SK" and ds.ScanOptions == ""
    assert ds.MRAcquisitionType == "2D"
    assert float(ds.RepetitionTime) == 500.0 and float(ds.EchoTime) == 15.0 and "InversionTime" not in ds
    assert ds.EchoTrainLength == 1 and float(ds.FlipAngle) == 90.0 and float(ds.NumberOfAverages) == 2.0
    assert float(ds.MagneticFieldStrength) == 1.5
    assert float(ds.ImagingFrequency) == pytest.approx(42.577 * 1.5, abs=1e-3)
    assert float(ds.ImagingFrequency) == pytest.approx(GYROMAGNETIC_MHZ_PER_T * 1.5, rel=1e-9)
    assert ds.ImagedNucleus == "1H" and float(ds.PixelBandwidth) == 130.0
    assert float(ds.PercentSampling) == 100.0 and float(ds.PercentPhaseFieldOfView) == 75.0
    assert ds.InPlanePhaseEncodingDirection == "COL" and ds.AcquisitionMatrix == [256, 0, 0, 192]
    assert ds.NumberOfPhaseEncodingSteps == 192
    assert float(ds.SAR) == pytest.approx(1.4) and float(ds.dBdt) == pytest.approx(22.5)
    assert ds.ReceiveCoilName == "HEAD-8" and ds.AnatomicRegionSequence[0].CodeValue == "69536005"
    assert "RescaleSlope" not in ds and ds.PixelRepresentation == 0 and ds.BitsAllocated == 16
    assert float(ds.WindowCenter) == 1000.0 and float(ds.WindowWidth) == 2200.0
    assert ds.DeviceSerialNumber and ds.Manufacturer.startswith("Scanroom")
    np.testing.assert_array_equal(ds.pixel_array, acq.images[1])


def test_series_of_one_study_share_the_frame_of_reference(tmp_path: Path) -> None:
    ctx = StudyContext(patient_name="SIMULATED^MR", patient_id="SIM-MR-1", study_uid="1.2.826.0.1.3680043.8.498.1")
    t1 = to_datasets(_acquisition(_t1_se()), ctx)
    t2 = to_datasets(_acquisition({**_t1_se(), "sequence_name": "T2 TSE", "series_number": 2}), ctx)
    assert t1[0].StudyInstanceUID == t2[0].StudyInstanceUID == ctx.study_uid
    assert t1[0].FrameOfReferenceUID == t2[0].FrameOfReferenceUID
    assert t1[0].SeriesInstanceUID != t2[0].SeriesInstanceUID and t2[0].SeriesNumber == 2


def test_bad_contracts_are_refused() -> None:
    with pytest.raises(ValueError, match="slice_positions"):
        to_datasets(_acquisition({**_t1_se(), "slice_positions": _t1_se()["slice_positions"][:-1]}), CTX)
    with pytest.raises(ValueError, match="orthogonal"):
        to_datasets(_acquisition({**_t1_se(), "image_orientation": [1, 0, 0, 0.5, 0.5, 0]}), CTX)
    with pytest.raises(ValueError, match="scanning_sequence"):
        to_datasets(_acquisition({"tr_ms": 500.0}), CTX)
    with pytest.raises(ValueError, match="uint16"):
        to_datasets(_acquisition(_t1_se(), images=_images().astype(np.float32)), CTX)
    with pytest.raises(ValueError, match="b_value"):
        to_datasets(_acquisition({**_t1_se(), "b_value": [0.0, 1000.0]}), CTX)
