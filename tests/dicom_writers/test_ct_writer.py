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


# -- the scout (localizer) --------------------------------------------------------------------------------

# PS3.3 C.11.1.1.2 defines US (unspecified) for values that are not HU; dicom3tools (2022) knows only HU for CT
SCOUT_WARNINGS = {"Warning - Unrecognized defined term <US> for value 1 of attribute <Rescale Type>"}
SCOUT_ROWS, SCOUT_COLS = 300, 200


def _scout_image(dtype: type = np.uint16) -> np.ndarray:
    yy, xx = np.mgrid[:SCOUT_ROWS, :SCOUT_COLS]
    body = np.abs(xx - SCOUT_COLS / 2) < 60
    return (np.where(body, 2000, 100) + (yy % 7)).astype(dtype)


def _with_scout(view: str = "AP", **settings: Any) -> Acquisition:
    acq = _acquisition()
    acq.extras["scout"] = _scout_image(settings.pop("dtype", np.uint16))
    acq.dicom["scout"] = {"pixel_spacing_mm": (1.5, 2.5), "kvp": 120.0, "mas": 40.0, "view": view,
                          "image_position": [-248.75, 0.0, 50.0], "image_orientation": [1, 0, 0, 0, 0, -1],
                          **settings}
    return acq


def test_scout_is_a_valid_localizer_in_its_own_series(tmp_path: Path) -> None:
    paths = _write(_with_scout(), tmp_path)
    assert len(paths) == SLICES + 2  # axial images first (unchanged), then the scout, then the dose report
    errors, warnings = dciodvfy(paths[-2])
    assert errors == [] and set(warnings) <= SCOUT_WARNINGS, (errors, warnings)
    errors, warnings = dciodvfy(paths[-1])
    assert errors == [] and warnings == [], (errors, warnings)
    axial, scout = pydicom.dcmread(paths[0]), pydicom.dcmread(paths[-2])
    assert axial.ImageType == ["ORIGINAL", "PRIMARY", "AXIAL"] and axial.SeriesNumber == 2
    assert scout.SOPClassUID == CT_IMAGE and scout.ImageType == ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    assert scout.SeriesNumber == 1 and scout.SeriesInstanceUID != axial.SeriesInstanceUID
    assert scout.FrameOfReferenceUID == axial.FrameOfReferenceUID
    assert scout.StudyInstanceUID == axial.StudyInstanceUID
    assert scout.IrradiationEventUID != axial.IrradiationEventUID
    assert [float(v) for v in scout.ImageOrientationPatient] == [1, 0, 0, 0, 0, -1]
    assert [float(v) for v in scout.ImagePositionPatient] == [-248.75, 0.0, 50.0]
    assert [float(v) for v in scout.PixelSpacing] == [1.5, 2.5]
    assert "PatientOrientation" not in scout and "ScanOptions" not in scout and "ContrastBolusAgent" not in scout
    assert scout.RescaleType == "US" and float(scout.RescaleSlope) == 1.0
    assert float(scout.KVP) == 120.0 and scout.Exposure == 40
    np.testing.assert_array_equal(scout.pixel_array, _scout_image())


def test_scout_irradiation_event_in_the_dose_report(tmp_path: Path) -> None:
    paths = _write(_with_scout(tube_current_ma=50.0, dlp_mgycm=3.0, ctdivol_mgy=0.2), tmp_path)
    axial, scout, report = pydicom.dcmread(paths[0]), pydicom.dcmread(paths[-2]), pydicom.dcmread(paths[-1])
    accumulated = find(report, "113811")
    assert numeric(child(accumulated, "113812"))[0] == 2
    assert numeric(child(accumulated, "113813"))[0] == pytest.approx(412.0 + 3.0)
    events = find_all(report, "113819")
    assert len(events) == 2
    scout_event, scan_event = events
    assert scout.IrradiationEventUID == child(scout_event, "113769").UID
    assert axial.IrradiationEventUID == child(scan_event, "113769").UID
    assert child(scout_event, "113820").ConceptCodeSequence[0].CodeValue == "113805"  # constant angle
    parameters = child(scout_event, "113822")
    # 300 rows × 1.5 mm of table travel from z = 50 mm downwards
    assert numeric(child(parameters, "113825")) == (pytest.approx(450.0), "mm")
    assert numeric(child(parameters, "113897"))[0] == pytest.approx(50.75)
    assert numeric(child(parameters, "113898"))[0] == pytest.approx(50.0 - 299 * 1.5 - 0.75)
    assert numeric(child(parameters, "113824")) == (pytest.approx(40.0 / 50.0), "s")  # mAs / mA
    assert axial.FrameOfReferenceUID == child(parameters, "112227").UID
    assert not [c for c in parameters.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "113828"]
    source = child(parameters, "113831")
    assert numeric(child(source, "113733")) == (120.0, "kV") and numeric(child(source, "113734")) == (50.0, "mA")
    assert numeric(child(child(scout_event, "113829"), "113838")) == (3.0, "mGy.cm")
    referenced = {ref.ReferencedSOPInstanceUID for series in
                  report.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence
                  for ref in series.ReferencedSOPSequence}
    assert scout.SOPInstanceUID in referenced and axial.SOPInstanceUID in referenced


def test_lateral_int16_scout_with_default_geometry(tmp_path: Path) -> None:
    acq = _with_scout("LATERAL", dtype=np.int16)
    del acq.dicom["scout"]["image_position"], acq.dicom["scout"]["image_orientation"]
    paths = _write(acq, tmp_path)
    errors, warnings = dciodvfy(paths[-2])
    assert errors == [] and set(warnings) <= SCOUT_WARNINGS, (errors, warnings)
    scout = pydicom.dcmread(paths[-2])
    assert scout.PixelRepresentation == 1
    assert [float(v) for v in scout.ImageOrientationPatient] == [0, 1, 0, 0, 0, -1]
    position = np.array([float(v) for v in scout.ImagePositionPatient])
    centre = position + np.array([0, 1, 0]) * 2.5 * (SCOUT_COLS - 1) / 2 + np.array([0, 0, -1]) * 1.5 * (
        SCOUT_ROWS - 1) / 2
    np.testing.assert_allclose(centre, [0.0, 0.0, (Z[0] + Z[-1]) / 2], atol=1e-6)
    report = pydicom.dcmread(paths[-1])
    scout_event = find_all(report, "113819")[0]
    # no mA or time given: beam-on time from the table travel at the default 100 mm/s
    assert numeric(child(child(scout_event, "113822"), "113824"))[0] == pytest.approx(450.0 / 100.0)
    assert not [c for c in scout_event.ContentSequence if c.ConceptNameCodeSequence[0].CodeValue == "113829"]


def test_scout_needs_pixel_spacing() -> None:
    acq = _with_scout()
    del acq.dicom["scout"]["pixel_spacing_mm"]
    with pytest.raises(ValueError, match="pixel_spacing_mm"):
        to_datasets(acq, CTX)
