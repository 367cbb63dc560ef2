"""X-ray writer: a DX For Presentation image and an X-Ray Radiation Dose SR that dciodvfy accepts."""

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
from scanroom.dicom.writers.xray import (
    ANATOMIC_REGIONS,
    DX_FOR_PRESENTATION,
    XRAY_RADIATION_DOSE_SR,
    anatomic_region,
)
from scanroom.scanner.base import Acquisition, PatientRequest, ScanProtocol
from tests.dicom_writers._support import child, children, dciodvfy, find, find_all, numeric

# dicom3tools (2022) does not yet know the FLAT Filter Type defined term of current PS3.3
ALLOWED_WARNINGS = {"Warning - Unrecognized defined term <FLAT> for value 1 of attribute <Filter Type>"}


class _Protocol(ScanProtocol):
    kvp: float = 110.0
    mas: float = 2.0


def _acquisition(*, photometric: str = "MONOCHROME2", dicom: dict[str, Any] | None = None,
                 dose: dict[str, float] | None = None) -> Acquisition:
    rows, cols = 240, 200
    rng = np.random.default_rng(7)
    gradient = np.linspace(200, 3800, rows * cols).reshape(rows, cols)
    image = np.clip(gradient + rng.normal(0, 40, (rows, cols)), 0, 4095).astype(np.uint16)
    full_dicom = {
        "exam_id": "chest-pa", "exam_name": "Chest PA", "body_part": "CHEST",
        "anatomic_region": ("51185008", "SCT", "Chest"), "view_position": "PA", "image_laterality": "U",
        "patient_orientation": ("L", "F"), "patient_position": "ERECT", "kvp": 110.0, "tube_current_ma": 250.0,
        "exposure_time_ms": 8.0, "mas": 2.0, "sid_mm": 1800.0, "sod_mm": 1620.0, "focal_spot_mm": 1.2,
        "anode_target": "TUNGSTEN", "filter_material": "COPPER", "filter_thickness_mm": 0.1, "grid": True,
        "grid_ratio": 12.0, "grid_focus_mm": 1800.0, "field_mm": (70.0, 90.0), "detector_rows": 260,
        "detector_cols": 260, "detector_element_mm": 0.5, "side_marker": "R",
    }
    full_dose = {"ei": 262.0, "ei_target": 250.0, "di": 0.2, "incident_air_kerma_mgy": 0.085,
                 "esak_mgy": 0.115, "dap_gycm2": 0.107, "effective_dose_msv": 0.016}
    return Acquisition(
        modality="xray", patient=PatientRequest(patient_id="SIM-XR-1"), protocol=_Protocol(), images=image[None],
        pixel_spacing_mm=(0.5, 0.5),
        display={"photometric": photometric, "window_centre": 2000.0, "window_width": 3600.0, "bits_stored": 12},
        dicom=full_dicom if dicom is None else dicom, dose=full_dose if dose is None else dose)


CTX = StudyContext(patient_name="SIMULATED^XRAY", patient_id="SIM-XR-1", patient_sex="F", patient_age="045Y",
                   study_description="Chest radiograph", accession_number="A123", when=datetime(2024, 5, 1, 9, 30))


def _write(acq: Acquisition, tmp_path: Path) -> tuple[Path, Path]:
    image_path, sr_path = write_files(to_datasets(acq, CTX), tmp_path)
    return image_path, sr_path


@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_dx_and_dose_report_pass_dciodvfy(tmp_path: Path, photometric: str) -> None:
    for path in _write(_acquisition(photometric=photometric), tmp_path):
        errors, warnings = dciodvfy(path)
        assert errors == [], f"{path.name}: {errors}"
        assert set(warnings) <= ALLOWED_WARNINGS, f"{path.name}: {warnings}"


def test_minimal_contract_still_valid(tmp_path: Path) -> None:
    acq = _acquisition(dicom={"kvp": 70.0, "mas": 5.0, "body_part": "KNEE", "view_position": "LL",
                              "filter_material": "ALUMINUM", "filter_thickness_mm": 0.0}, dose={})
    image_path, sr_path = _write(acq, tmp_path)
    for path in (image_path, sr_path):
        errors, _ = dciodvfy(path)
        assert errors == [], f"{path.name}: {errors}"
    ds = pydicom.dcmread(image_path)
    assert ds.AnatomicRegionSequence[0].CodeValue == "72696002"
    assert ds.PatientOrientation == ["P", "F"]
    assert ds.Exposure == 5 and ds.ExposureInuAs == 5000
    assert "DeviationIndex" not in ds
    assert ds.FilterType == "NONE" and "FilterThicknessMinimum" not in ds


def test_dx_values_read_back(tmp_path: Path) -> None:
    acq = _acquisition(photometric="MONOCHROME1")
    image_path, sr_path = _write(acq, tmp_path)
    ds = pydicom.dcmread(image_path)
    assert ds.SOPClassUID == DX_FOR_PRESENTATION
    assert ds.Modality == "DX"
    assert ds.PresentationIntentType == "FOR PRESENTATION"
    assert ds.PhotometricInterpretation == "MONOCHROME1" and ds.PresentationLUTShape == "INVERSE"
    assert ds.PixelIntensityRelationship == "LOG" and ds.PixelIntensityRelationshipSign == 1
    assert ds.RescaleType == "US" and float(ds.RescaleSlope) == 1 and float(ds.RescaleIntercept) == 0
    assert ds.BitsStored == 12 and ds.HighBit == 11 and ds.PixelRepresentation == 0
    np.testing.assert_array_equal(ds.pixel_array, acq.images[0])
    assert [float(v) for v in ds.ImagerPixelSpacing] == [0.5, 0.5]
    assert float(ds.KVP) == 110.0
    assert ds.Exposure == 2 and ds.ExposureInuAs == 2000
    assert ds.XRayTubeCurrent == 250 and ds.ExposureTime == 8
    assert float(ds.DeviationIndex) == pytest.approx(0.2)
    assert float(ds.ExposureIndex) == pytest.approx(262.0)
    assert float(ds.TargetExposureIndex) == pytest.approx(250.0)
    assert float(ds.ImageAndFluoroscopyAreaDoseProduct) == pytest.approx(1.07)  # dGy·cm²
    assert float(ds.EntranceDoseInmGy) == pytest.approx(0.115)
    assert float(ds.DistanceSourceToDetector) == 1800.0 and float(ds.DistanceSourceToPatient) == 1620.0
    assert float(ds.EstimatedRadiographicMagnificationFactor) == pytest.approx(1800 / 1620, rel=1e-5)
    assert ds.ViewPosition == "PA" and ds.ViewCodeSequence[0].CodeValue == "272479007"
    assert ds.PatientOrientation == ["L", "F"] and ds.ImageLaterality == "U"
    assert ds.DetectorType == "SCINTILLATOR"
    assert [float(v) for v in ds.DetectorActiveDimensions] == [130.0, 130.0]
    assert ds.Grid == ["FOCUSED", "RECIPROCATING"] and list(ds.GridAspectRatio) == [12, 1]
    assert float(ds.GridFocalDistance) == 1800.0
    assert ds.FilterMaterial == "COPPER" and float(ds.FilterThicknessMinimum) == pytest.approx(0.1)
    assert ds.AnodeTargetMaterial == "TUNGSTEN" and float(ds.FocalSpots) == pytest.approx(1.2)
    # a 70 × 90 mm field at 0.5 mm: 140 columns × 180 rows, centred on the 200 × 240 image
    assert (ds.CollimatorLeftVerticalEdge, ds.CollimatorRightVerticalEdge) == (31, 170)
    assert (ds.CollimatorUpperHorizontalEdge, ds.CollimatorLowerHorizontalEdge) == (31, 210)
    assert float(ds.WindowCenter) == 2000.0 and float(ds.WindowWidth) == 3600.0
    assert ds.BodyPartExamined == "CHEST"


def test_anatomy_codes_are_cid_4009() -> None:
    """Anatomic Region codes are current CID 4009 concepts; the retired 'Thoracic structure' is mapped to Chest."""
    sct: dict[str, Any] = _concepts_dict.concepts["SCT"]
    cid_4009 = {code for kw in _cid_dict.cid_concepts[4009]["SCT"] for code in sct[kw]}

    assert all(code[0] in cid_4009 for code in ANATOMIC_REGIONS.values())
    assert anatomic_region({"anatomic_region": ("51185008", "SCT", "Chest")}) == ("816094009", "SCT", "Chest")
    assert anatomic_region({"body_part": "LSPINE"})[0] == "122496007"


def test_dose_report_content(tmp_path: Path) -> None:
    image_path, sr_path = _write(_acquisition(), tmp_path)
    image = pydicom.dcmread(image_path)
    report = pydicom.dcmread(sr_path)
    assert report.SOPClassUID == XRAY_RADIATION_DOSE_SR and report.Modality == "SR"
    assert report.StudyInstanceUID == image.StudyInstanceUID
    assert report.SeriesInstanceUID != image.SeriesInstanceUID
    assert report.ConceptNameCodeSequence[0].CodeValue == "113701"
    assert report.ContentTemplateSequence[0].TemplateIdentifier == "10001"
    assert report.CompletionFlag == "COMPLETE" and report.VerificationFlag == "UNVERIFIED"
    evidence = report.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0]
    assert evidence.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == image.SOPInstanceUID

    assert find(report, "121058").ConceptCodeSequence[0].CodeValue == "113704"  # Projection X-Ray
    scope = find(report, "113705")
    assert image.StudyInstanceUID == child(scope, "110180").UID

    accumulated = find(report, "113702")
    assert numeric(child(accumulated, "113722")) == (pytest.approx(0.107e-4), "Gy.m2")  # DAP total
    assert numeric(child(accumulated, "113725")) == (pytest.approx(0.085e-3), "Gy")  # Dose (RP) total

    events = find_all(report, "113706")
    assert len(events) == 1
    event = events[0]
    assert image.IrradiationEventUID == child(event, "113769").UID
    assert numeric(child(event, "122130")) == (pytest.approx(0.107e-4), "Gy.m2")  # DAP
    assert numeric(child(event, "113733")) == (110.0, "kV")
    assert numeric(child(event, "113736")) == (2000.0, "uA.s")
    assert numeric(child(event, "113824")) == (8.0, "ms")
    assert numeric(child(event, "113750")) == (1800.0, "mm")  # SID
    assert numeric(child(event, "113845"))[0] == pytest.approx(262.0)  # EI
    assert numeric(child(event, "113847"))[0] == pytest.approx(0.2)  # DI
    assert numeric(child(event, "113790")) == (pytest.approx(0.0063), "m2")  # collimated field area
    assert child(event, "123014").ConceptCodeSequence[0].CodeValue == "816094009"  # target region: chest
    assert child(event, "113764").ConceptCodeSequence[0].CodeValue == "113622"  # single plane
    filters = child(event, "113771")
    assert child(filters, "113757").ConceptCodeSequence[0].CodeMeaning == "Copper"
    assert {c.ConceptCodeSequence[0].CodeValue for c in children(event) if c.ConceptNameCodeSequence[0].CodeValue
            == "111635"} == {"111642", "111643"}  # focused, reciprocating grid


def test_one_study_across_writes_without_study_uid() -> None:
    datasets = to_datasets(_acquisition(), StudyContext(patient_name="A", patient_id="B"))
    assert len({ds.StudyInstanceUID for ds in datasets}) == 1
    assert len({ds.SOPInstanceUID for ds in datasets}) == 2


def test_bits_stored_grows_to_fit_the_pixels() -> None:
    acq = _acquisition()
    acq.images[0, 0, 0] = 9000  # beyond 12 bits
    image = to_datasets(acq, CTX)[0]
    assert image.BitsStored == 14 and image.HighBit == 13
