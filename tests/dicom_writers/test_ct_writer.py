"""CT writer: a CT Image Storage series with correct geometry and a CT Radiation Dose SR, valid for dciodvfy."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.sr import _cid_dict, _concepts_dict

from scanroom.dicom.export import to_datasets, write_files
from scanroom.dicom.modules import StudyContext
from scanroom.dicom.writers.ct import CT_IMAGE, XRAY_RADIATION_DOSE_SR
from scanroom.scanner.base import Acquisition, PatientRequest, ScanProtocol
from tests.dicom_writers._support import child, dciodvfy, find, find_all, numeric

SLICES, ROWS, COLS = 6, 96, 96
Z = [-100.0 - 2.5 * i for i in range(SLICES)]


class _Protocol(ScanProtocol):
    kvp: float = 120.0


def _hu() -> np.ndarray:
    yy, xx = np.mgrid[:ROWS, :COLS]
    body = (yy - ROWS / 2) ** 2 + (xx - COLS / 2) ** 2 < (0.4 * ROWS) ** 2
    bone = (yy - ROWS / 2) ** 2 + (xx - COLS / 2) ** 2 < (0.08 * ROWS) ** 2
    hu = np.where(bone, 900, np.where(body, 40, -1000)).astype(np.int16)
    return np.repeat(hu[None], SLICES, axis=0)


def _acquisition(*, images: np.ndarray | None = None, display: dict[str, Any] | None = None,
                 dicom: dict[str, Any] | None = None, dose: dict[str, float] | None = None) -> Acquisition:
    full_dicom: dict[str, Any] = {
        "protocol_id": "abdomen-pv", "protocol_name": "Abdomen portal venous", "body_part": "ABDOMEN",
        "anatomic_region": ("818981001", "SCT", "Abdomen"), "kvp": 120.0, "tube_current_ma": 220.0,
        "exposure_time_ms": 500.0, "mas_per_rotation": 110.0, "rotation_time_s": 0.5, "pitch": 0.984,
        "collimation_mm": 40.0, "single_collimation_mm": 0.625, "slice_mm": 2.5, "slice_spacing_mm": 2.5,
        "kernel": "STANDARD", "fov_mm": 360.0, "scan_fov_mm": 500.0, "slice_positions_mm": Z,
        "image_origin_xy_mm": (-178.125, -190.0), "contrast_phase": "portal venous", "phantom_type": "BODY",
    }
    full_dose = {"ctdivol_mgy": 9.8, "dlp_mgycm": 412.0, "ssde_mgy": 12.9, "water_equivalent_diameter_cm": 27.5,
                 "effective_dose_msv": 6.2, "scan_length_mm": 420.0}
    return Acquisition(
        modality="ct", patient=PatientRequest(patient_id="SIM-CT-1"), protocol=_Protocol(),
        images=(_hu() + 1024).astype(np.int16) if images is None else images, pixel_spacing_mm=(0.75, 0.75),
        display={"rescale_intercept": -1024.0, "rescale_slope": 1.0, "window_centre": 40.0, "window_width": 400.0}
        if display is None else display,
        dicom=full_dicom if dicom is None else dicom, dose=full_dose if dose is None else dose)


CTX = StudyContext(patient_name="SIMULATED^CT", patient_id="SIM-CT-1", patient_sex="M", patient_age="060Y",
                   when=datetime(2024, 5, 2, 14, 5))


def _write(acq: Acquisition, tmp_path: Path) -> list[Path]:
    return write_files(to_datasets(acq, CTX), tmp_path)


def test_ct_series_and_dose_report_pass_dciodvfy(tmp_path: Path) -> None:
    paths = _write(_acquisition(), tmp_path)
    assert len(paths) == SLICES + 1
    for path in (paths[0], paths[-2], paths[-1]):
        errors, warnings = dciodvfy(path)
        assert errors == [], f"{path.name}: {errors}"
        assert warnings == [], f"{path.name}: {warnings}"


def test_minimal_contract_still_valid(tmp_path: Path) -> None:
    hu = _hu()  # int16 HU, intercept 0 inferred from the negative values
    paths = _write(_acquisition(images=hu, display={}, dicom={"kvp": 100.0}, dose={}), tmp_path)
    for path in (paths[0], paths[-1]):
        errors, _ = dciodvfy(path)
        assert errors == [], f"{path.name}: {errors}"
    first = pydicom.dcmread(paths[0])
    assert float(first.RescaleIntercept) == 0.0 and first.PixelRepresentation == 1
    np.testing.assert_array_equal(first.pixel_array, hu[0])
    second = pydicom.dcmread(paths[1])
    # default geometry: contiguous slices, image centred on the isocentre
    assert float(first.ImagePositionPatient[0]) == pytest.approx(-(COLS - 1) / 2 * 0.75)
    assert float(second.ImagePositionPatient[2]) == pytest.approx(float(first.ImagePositionPatient[2]) - 1.0)


def test_geometry_and_ct_attributes(tmp_path: Path) -> None:
    acq = _acquisition()
    paths = _write(acq, tmp_path)
    images = [pydicom.dcmread(p) for p in paths[:-1]]
    assert {ds.SOPClassUID for ds in images} == {CT_IMAGE}
    assert len({ds.SeriesInstanceUID for ds in images}) == 1
    assert len({ds.FrameOfReferenceUID for ds in images}) == 1
    assert len({ds.SOPInstanceUID for ds in images}) == SLICES
    for index, ds in enumerate(images):
        assert ds.InstanceNumber == index + 1
        assert [float(v) for v in ds.ImagePositionPatient] == pytest.approx([-178.125, -190.0, Z[index]])
        assert [float(v) for v in ds.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
        assert float(ds.SliceLocation) == pytest.approx(Z[index])
        hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        np.testing.assert_array_equal(hu, _hu()[index])
    ds = images[0]
    assert ds.ImageType == ["ORIGINAL", "PRIMARY", "AXIAL"]
    assert float(ds.SliceThickness) == 2.5 and float(ds.SpacingBetweenSlices) == 2.5
    assert [float(v) for v in ds.PixelSpacing] == [0.75, 0.75]
    assert float(ds.RescaleIntercept) == -1024.0 and float(ds.RescaleSlope) == 1.0 and ds.RescaleType == "HU"
    assert ds.BitsStored == 12 and ds.PatientPosition == "HFS"
    assert float(ds.KVP) == 120.0 and ds.XRayTubeCurrent == 220 and ds.ExposureTime == 500
    assert ds.Exposure == 110 and ds.ConvolutionKernel == "STANDARD"
    assert float(ds.DataCollectionDiameter) == 500.0 and float(ds.ReconstructionDiameter) == 360.0
    assert float(ds.GantryDetectorTilt) == 0.0 and ds.RevolutionTime == 0.5
    assert ds.SingleCollimationWidth == 0.625 and ds.TotalCollimationWidth == 40.0
    assert ds.SpiralPitchFactor == pytest.approx(0.984) and ds.TableFeedPerRotation == pytest.approx(39.36)
    assert ds.CTDIvol == pytest.approx(9.8)
    assert ds.CTDIPhantomTypeCodeSequence[0].CodeValue == "113691"
    assert ds.WaterEquivalentDiameter == pytest.approx(275.0)  # mm
    assert "ContrastBolusAgent" in ds
    assert float(ds.WindowCenter) == 40.0 and float(ds.WindowWidth) == 400.0


def test_ct_dose_report_content(tmp_path: Path) -> None:
    paths = _write(_acquisition(), tmp_path)
    first = pydicom.dcmread(paths[0])
    report = pydicom.dcmread(paths[-1])
    assert report.SOPClassUID == XRAY_RADIATION_DOSE_SR and report.Modality == "SR"
    assert report.StudyInstanceUID == first.StudyInstanceUID
    assert report.ContentTemplateSequence[0].TemplateIdentifier == "10011"
    evidence = report.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert len(evidence.ReferencedSOPSequence) == SLICES
    assert find(report, "121058").ConceptCodeSequence[0].CodeValue == "77477000"

    accumulated = find(report, "113811")
    assert numeric(child(accumulated, "113813")) == (412.0, "mGy.cm")
    assert numeric(child(accumulated, "113812"))[0] == 1

    events = find_all(report, "113819")
    assert len(events) == 1
    event = events[0]
    assert first.IrradiationEventUID == child(event, "113769").UID
    assert child(event, "113820").ConceptCodeSequence[0].CodeValue == "116152004"  # spiral
    assert child(event, "123014").ConceptCodeSequence[0].CodeValue == "818981001"
    parameters = child(event, "113822")
    assert numeric(child(parameters, "113825")) == (420.0, "mm")  # scanning length
    assert numeric(child(parameters, "113828"))[0] == pytest.approx(0.984)
    assert numeric(child(parameters, "113827")) == (40.0, "mm")
    assert first.FrameOfReferenceUID == child(parameters, "112227").UID
    # exposure time of the helix: 420 mm / (0.984 × 40 mm) × 0.5 s
    assert numeric(child(parameters, "113824"))[0] == pytest.approx(420 / (0.984 * 40) * 0.5, rel=1e-6)
    source = child(parameters, "113831")
    assert numeric(child(source, "113733")) == (120.0, "kV")
    dose = child(event, "113829")
    assert numeric(child(dose, "113830")) == (pytest.approx(9.8), "mGy")  # CTDIvol
    assert numeric(child(dose, "113838")) == (412.0, "mGy.cm")  # DLP
    assert child(dose, "113835").ConceptCodeSequence[0].CodeValue == "113691"  # body phantom
    ssde = child(dose, "113930")
    assert numeric(ssde) == (pytest.approx(12.9), "mGy")
    assert numeric(child(ssde, "113980")) == (pytest.approx(27.5), "cm")


def test_target_regions_are_cid_4030() -> None:
    from scanroom.dicom.writers._codes import ANATOMIC_REGIONS

    sct: dict[str, Any] = _concepts_dict.concepts["SCT"]
    cid_4030 = {code for kw in _cid_dict.cid_concepts[4030]["SCT"] for code in sct[kw]}
    for body_part in ("HEAD", "CHEST", "ABDOMEN", "PELVIS", "ABDOMENPELVIS", "CHESTABDPELVIS", "NECK"):
        assert ANATOMIC_REGIONS[body_part][0] in cid_4030


def test_slice_positions_must_match_slices() -> None:
    acq = _acquisition()
    acq.dicom["slice_positions_mm"] = Z[:-1]
    with pytest.raises(ValueError, match="slice_positions_mm"):
        to_datasets(acq, CTX)
