"""Projection radiography → DICOM: a DX image (For Presentation) and an X-Ray Radiation Dose SR.

The DX image is built module by module as PS3.3 A.26 lists them for the DX IOD; the dose report follows
PS3.16 TID 10001 "Projection X-Ray Radiation Dose" with one TID 10003 irradiation event (including the
detector data of TID 10003A — exposure indices per IEC 62494-1 — the source data of TID 10003B and the
mechanical data of TID 10003C) and the accumulated dose of TID 10002/10007.

Contract (``Acquisition`` from the X-ray scanner):

* ``images``: (1, rows, cols) uint16, processed for presentation; ``pixel_spacing_mm``: Imager Pixel
  Spacing (row, column) at the detector.
* ``display``: ``photometric`` (MONOCHROME1/2), ``window_centre``, ``window_width``, ``bits_stored``;
  optional ``intensity_sign`` (+1/-1; default: bone is bright when displayed).
* ``dicom``: see :data:`DICOM_KEYS` (all optional except ``kvp`` and ``mas``; missing ones leave type 3
  attributes out).
* ``dose``: ``ei``, ``ei_target``, ``di``, ``incident_air_kerma_mgy``, ``esak_mgy``, ``dap_gycm2``,
  ``effective_dose_msv`` (all optional; missing ones are left out of the image and the report).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from scanroom.dicom import modules as m
from scanroom.dicom.export import register_writer
from scanroom.dicom.modules import StudyContext
from scanroom.dicom.writers import _sr as sr
from scanroom.dicom.writers._codes import ANATOMIC_REGIONS, anatomic_region
from scanroom.scanner.base import Acquisition

DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
XRAY_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"

DICOM_KEYS = (
    "exam_id", "exam_name", "body_part", "anatomic_region", "view_position", "image_laterality",
    "patient_orientation", "patient_position", "kvp", "tube_current_ma", "exposure_time_ms", "mas", "sid_mm",
    "sod_mm", "focal_spot_mm", "anode_target", "filter_material", "filter_thickness_mm", "grid", "grid_ratio",
    "grid_focus_mm", "field_mm", "detector_rows", "detector_cols", "detector_element_mm", "side_marker",
    # optional extras understood when present
    "tube_angle_deg", "aec", "ssd_mm", "body_part_thickness_mm", "detector_type",
)

Code = tuple[str, str, str]

__all__ = ["ANATOMIC_REGIONS", "DX_FOR_PRESENTATION", "XRAY_RADIATION_DOSE_SR", "anatomic_region", "write_xray"]

# ViewPosition (C.8.11.5 defined terms) and CID 4010 "DX View" codes
VIEWS: dict[str, tuple[str | None, Code | None]] = {
    "PA": ("PA", ("272479007", "SCT", "postero-anterior")),
    "AP": ("AP", ("399348003", "SCT", "antero-posterior")),
    "LL": ("LL", ("399173006", "SCT", "left lateral")),
    "RL": ("RL", ("399198007", "SCT", "right lateral")),
    "RLD": ("RLD", None),
    "LLD": ("LLD", None),
    "RLO": ("RLO", None),
    "LLO": ("LLO", None),
    "LAT": (None, ("399067008", "SCT", "lateral")),
    "OBL": (None, ("399182000", "SCT", "oblique")),
    "RAO": (None, ("399356000", "SCT", "right anterior oblique")),
    "LAO": (None, ("399135007", "SCT", "left anterior oblique")),
    "RPO": (None, ("399038007", "SCT", "right posterior oblique")),
    "LPO": (None, ("399006002", "SCT", "left posterior oblique")),
    "AXIAL": (None, ("399061009", "SCT", "axial")),
    "TAN": (None, ("399110001", "SCT", "tangential")),
}

# CID 19 "Patient Orientation" and CID 20 "Patient Orientation Modifier"
_ERECT: Code = ("C86043", "NCIt", "erect")
_RECUMBENT: Code = ("102538003", "SCT", "recumbent")
PATIENT_POSITIONS: dict[str, tuple[Code, Code | None]] = {
    "ERECT": (_ERECT, None),
    "STANDING": (_ERECT, ("10904000", "SCT", "standing")),
    "SEATED": (_ERECT, ("33586001", "SCT", "sitting")),
    "SITTING": (_ERECT, ("33586001", "SCT", "sitting")),
    "SUPINE": (_RECUMBENT, ("40199007", "SCT", "supine")),
    "PRONE": (_RECUMBENT, ("1240000", "SCT", "prone")),
    "RLD": (_RECUMBENT, ("102535000", "SCT", "right lateral decubitus")),
    "LLD": (_RECUMBENT, ("102536004", "SCT", "left lateral decubitus")),
}

# PS3.3 defined terms → CID 10006 "X-Ray Filter Material" and CID 10016 "Anode Target Material"
FILTER_MATERIALS: dict[str, Code] = {
    "ALUMINUM": ("12503006", "SCT", "Aluminum"),
    "COPPER": ("66925006", "SCT", "Copper"),
    "MOLYBDENUM": ("71128006", "SCT", "Molybdenum"),
    "RHODIUM": ("59801003", "SCT", "Rhodium"),
    "SILVER": ("41967008", "SCT", "Silver"),
    "NIOBIUM": ("767776000", "SCT", "Niobium"),
    "EUROPIUM": ("767775001", "SCT", "Europium"),
    "LEAD": ("88488004", "SCT", "Lead"),
    "TIN": ("12597001", "SCT", "Tin"),
    "TANTALUM": ("45215009", "SCT", "Tantalum"),
}
ANODE_MATERIALS: dict[str, Code] = {
    "TUNGSTEN": ("26194003", "SCT", "Tungsten"),
    "MOLYBDENUM": ("71128006", "SCT", "Molybdenum"),
    "RHODIUM": ("59801003", "SCT", "Rhodium"),
}

_DEVICE_UID = generate_uid(entropy_srcs=["scanroom", "xray-room", m.MANUFACTURER])


def _f(mapping: dict[str, Any], key: str) -> float | None:
    value = mapping.get(key)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _patient_orientation(dicom: dict[str, Any], view: str) -> tuple[str, str]:
    given = dicom.get("patient_orientation")
    if given and len(given) == 2 and all(given):
        return (str(given[0]), str(given[1]))
    return {"LL": ("P", "F"), "RL": ("A", "F")}.get(view, ("L", "F"))


def _unsigned(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        return image
    return np.clip(image, 0, 65535).astype(np.uint16)


def _bits_stored(image: np.ndarray, requested: Any) -> int:
    needed = max(1, int(image.max()).bit_length()) if image.size else 1
    bits = int(requested) if requested else 16
    return max(6, min(16, max(bits, needed)))


def _collimator_edges(shape: tuple[int, int], spacing: tuple[float, float],
                      field_mm: Any) -> tuple[int, int, int, int]:
    """(left, right, upper, lower) 1-based pixel columns/rows of a field centred on the image."""
    rows, cols = shape
    if not field_mm:
        return 1, cols, 1, rows
    width_px = float(field_mm[0]) / spacing[1]
    height_px = float(field_mm[1]) / spacing[0]
    left = max(1, int(math.floor(cols / 2 - width_px / 2)) + 1)
    right = min(cols, int(math.ceil(cols / 2 + width_px / 2)))
    upper = max(1, int(math.floor(rows / 2 - height_px / 2)) + 1)
    lower = min(rows, int(math.ceil(rows / 2 + height_px / 2)))
    return left, right, upper, lower


@register_writer("xray")
def write_xray(acquisition: Acquisition, ctx: StudyContext) -> list[Dataset]:
    """[DX For Presentation image, X-Ray Radiation Dose SR] for one radiograph."""
    if acquisition.images.ndim != 3 or acquisition.images.shape[0] != 1:
        raise ValueError(f"an X-ray acquisition has one frame, not images of shape {acquisition.images.shape}")
    ctx = dataclasses.replace(ctx, study_uid=ctx.study_uid or generate_uid(), when=ctx.moment())
    irradiation_uid = generate_uid()
    image = _dx_image(acquisition, ctx, irradiation_uid)
    report = _dose_report(acquisition, ctx, irradiation_uid, image)
    return [image, report]


# -- the image -------------------------------------------------------------------------------------------

def _dx_image(acq: Acquisition, ctx: StudyContext, irradiation_uid: str) -> Dataset:
    d, dose, display = acq.dicom, acq.dose, acq.display
    pixels = _unsigned(np.asarray(acq.images[0]))
    spacing = (float(acq.pixel_spacing_mm[0]), float(acq.pixel_spacing_mm[1]))
    photometric = str(display.get("photometric") or "MONOCHROME2").upper()
    view_key = str(d.get("view_position") or "").upper()
    view_position, view_code = VIEWS.get(view_key, (None, None))
    region = anatomic_region(d)
    laterality = str(d.get("image_laterality") or "U").upper()
    if laterality not in ("L", "R", "U", "B"):
        laterality = "U"
    position = PATIENT_POSITIONS.get(str(d.get("patient_position") or "").upper())
    kvp, mas = _f(d, "kvp"), _f(d, "mas")
    ma, ms = _f(d, "tube_current_ma"), _f(d, "exposure_time_ms")
    if mas is None and ma is not None and ms is not None:
        mas = ma * ms / 1000.0
    sid, sod = _f(d, "sid_mm"), _f(d, "sod_mm")
    anode = str(d.get("anode_target") or "").upper() or None
    filter_material = str(d.get("filter_material") or "").upper() or None
    filter_mm = _f(d, "filter_thickness_mm")
    if not filter_mm or not filter_material:  # no added filter
        filter_mm, filter_material = None, None
    dap = _f(dose, "dap_gycm2")
    exam_name = str(d.get("exam_name") or d.get("exam_id") or "Radiograph")

    sop_uid = generate_uid()
    ds = m.new_dataset(DX_FOR_PRESENTATION)
    m.patient_module(ds, ctx)
    m.general_study_module(ds, ctx)
    m.patient_study_module(ds, ctx)
    m.general_series_module(ds, ctx, modality="DX", series_uid=generate_uid(), series_number=1,
                            description=exam_name, body_part=str(d.get("body_part") or ""))
    ds.ProtocolName = exam_name[:64]
    m.dx_series_module(ds, presentation_intent="FOR PRESENTATION")
    m.enhanced_general_equipment_module(ds, device_uid=_DEVICE_UID)
    m.general_image_module(ds, ctx, instance_number=1, image_type=("ORIGINAL", "PRIMARY"),
                           patient_orientation=_patient_orientation(d, view_key))
    ds.IrradiationEventUID = irradiation_uid
    if d.get("side_marker"):
        ds.ImageComments = f"Lead side marker: {d['side_marker']}"
    m.image_pixel_module(ds, pixels, photometric=photometric,
                         bits_stored=_bits_stored(pixels, display.get("bits_stored")))
    m.dx_anatomy_imaged_module(ds, image_laterality=laterality, anatomic_region=region)
    sign = int(display.get("intensity_sign") or (1 if photometric == "MONOCHROME1" else -1))
    m.dx_image_module(ds, photometric=photometric, intensity_sign=sign,
                       processing_description="Scanroom simulated processing (log, equalisation, unsharp mask)")
    detector_shape = None
    if d.get("detector_rows") and d.get("detector_cols"):
        detector_shape = (int(d["detector_rows"]), int(d["detector_cols"]))
    m.dx_detector_module(ds, detector_type=str(d.get("detector_type") or "SCINTILLATOR"),
                          imager_pixel_spacing=spacing, element_mm=_f(d, "detector_element_mm"),
                          detector_shape=detector_shape, image_shape=pixels.shape,
                          description="Simulated CsI flat-panel detector")
    left, right, upper, lower = _collimator_edges(pixels.shape, spacing, d.get("field_mm"))
    m.xray_collimator_module(ds, left=left, right=right, upper=upper, lower=lower)
    m.dx_positioning_module(ds, view_position=view_position, view_code=view_code,
                             patient_orientation_code=position[0] if position else None,
                             patient_orientation_modifier=position[1] if position else None,
                             sid_mm=sid, sod_mm=sod, body_part_thickness_mm=_f(d, "body_part_thickness_mm"),
                             column_angulation_deg=_f(d, "tube_angle_deg"))
    field = d.get("field_mm")
    comments = []
    if _f(dose, "esak_mgy") is not None:
        comments.append(f"ESAK {dose['esak_mgy']:.4g} mGy (with backscatter)")
    if _f(dose, "incident_air_kerma_mgy") is not None:
        comments.append(f"incident air kerma {dose['incident_air_kerma_mgy']:.4g} mGy")
    if _f(dose, "effective_dose_msv") is not None:
        comments.append(f"estimated effective dose {dose['effective_dose_msv']:.3g} mSv")
    ei = _f(dose, "ei")
    m.xray_acquisition_dose_module(
        ds, kvp=kvp, tube_current_ma=ma, exposure_time_ms=ms, mas=mas, sid_mm=sid, sod_mm=sod,
        dap_dgycm2=None if dap is None else dap * 10.0, entrance_dose_mgy=_f(dose, "esak_mgy"),
        exposure_index=ei, target_exposure_index=_f(dose, "ei_target"), deviation_index=_f(dose, "di"),
        relative_exposure=None if ei is None else int(round(ei)), source_to_entrance_mm=_f(d, "ssd_mm"),
        exposed_area_mm=(float(field[1]), float(field[0])) if field else None, anode_target=anode,
        filter_material=filter_material, filter_thickness_mm=filter_mm,
        comments=("Simulated: " + "; ".join(comments)) if comments else "")
    m.xray_generation_module(ds, kvp=kvp, tube_current_ma=ma, exposure_time_ms=ms, mas=mas,
                              focal_spot_mm=_f(d, "focal_spot_mm"), anode_target=anode,
                              aec=None if d.get("aec") is None else bool(d["aec"]))
    m.xray_filtration_module(ds, filter_material=filter_material, filter_thickness_mm=filter_mm)
    m.xray_grid_module(ds, grid=bool(d.get("grid")), grid_ratio=_f(d, "grid_ratio"),
                        grid_focus_mm=_f(d, "grid_focus_mm"))
    m.voi_lut_module(ds, centre=float(display.get("window_centre", (1 << ds.BitsStored) / 2)),
                     width=float(display.get("window_width", 1 << ds.BitsStored)), explanation="Scanroom default")
    ds.VOILUTFunction = "LINEAR"
    m.acquisition_context_module(ds)
    m.sop_common_module(ds, sop_class_uid=DX_FOR_PRESENTATION, sop_instance_uid=sop_uid, ctx=ctx)
    return ds


# -- the dose report -------------------------------------------------------------------------------------

def _dose_report(acq: Acquisition, ctx: StudyContext, irradiation_uid: str, image: Dataset) -> Dataset:
    sop_uid = generate_uid()
    ds = m.new_dataset(XRAY_RADIATION_DOSE_SR)
    m.patient_module(ds, ctx)
    m.general_study_module(ds, ctx)
    m.patient_study_module(ds, ctx)
    m.sr_document_series_module(ds, ctx, series_uid=generate_uid(), series_number=900,
                                 description="Radiation Dose Report")
    m.enhanced_general_equipment_module(ds, device_uid=_DEVICE_UID)
    evidence = sr.evidence_sequence(ds.StudyInstanceUID, [(image.SeriesInstanceUID,
                                                          [(image.SOPClassUID, image.SOPInstanceUID)])])
    m.sr_document_general_module(ds, ctx, instance_number=1, evidence=evidence)
    m.sr_document_content_module(ds, projection_xray_dose_tree(acq, ctx, irradiation_uid, ds.StudyInstanceUID))
    m.sop_common_module(ds, sop_class_uid=XRAY_RADIATION_DOSE_SR, sop_instance_uid=sop_uid, ctx=ctx)
    return ds


def projection_xray_dose_tree(acq: Acquisition, ctx: StudyContext, irradiation_uid: str,
                              study_uid: str) -> Dataset:
    """TID 10001 "Projection X-Ray Radiation Dose" for one irradiation event."""
    d, dose = acq.dicom, acq.dose
    started = ctx.moment()
    ms = _f(d, "exposure_time_ms") or 0.0
    return sr.container(("113701", "DCM", "X-Ray Radiation Dose Report"), relationship=None, template="10001",
                        children=[
        sr.code(sr.HAS_CONCEPT_MOD, ("121058", "DCM", "Procedure reported"), ("113704", "DCM", "Projection X-Ray"),
                [sr.code(sr.HAS_CONCEPT_MOD, sr.HAS_INTENT, sr.DIAGNOSTIC_INTENT)]),
        sr.code(sr.HAS_CONCEPT_MOD, ("122142", "DCM", "Acquisition Device Type"),
                ("113958", "DCM", "Integrated Projection Radiography System")),
        sr.datetime_item(sr.CONTAINS, ("113809", "DCM", "Start of X-Ray Irradiation"), started),
        sr.datetime_item(sr.CONTAINS, ("113810", "DCM", "End of X-Ray Irradiation"),
                         started + timedelta(milliseconds=ms)),
        *sr.device_observer_context(device_uid=_DEVICE_UID, name="SCANROOM-DX", manufacturer=m.MANUFACTURER,
                                    model="Scanroom simulator", serial=m.DEVICE_SERIAL_NUMBER),
        sr.code(sr.CONTAINS, ("113945", "DCM", "X-Ray Detector Data Available"), sr.YES),
        sr.code(sr.CONTAINS, ("113943", "DCM", "X-Ray Source Data Available"), sr.YES),
        sr.code(sr.CONTAINS, ("113944", "DCM", "X-Ray Mechanical Data Available"), sr.YES),
        sr.scope_of_accumulation_study(study_uid),
        _accumulated_dose(dose, d),
        _irradiation_event(acq, irradiation_uid, started),
        sr.code(sr.CONTAINS, ("113854", "DCM", "Source of Dose Information"), ("113940", "DCM", "System Calculated")),
        sr.text(sr.CONTAINS, ("121106", "DCM", "Comment"),
                "Simulated by Scanroom for education; no patient was exposed."),
    ])


_SINGLE_PLANE = sr.code(sr.HAS_CONCEPT_MOD, ("113764", "DCM", "Acquisition Plane"), ("113622", "DCM", "Single Plane"))
_RP_AT_SURFACE: Code = ("113964", "DCM", "At Surface of Patient")
_GY = sr.unit("Gy")
_GYM2 = sr.unit("Gy.m2")
_MM = sr.unit("mm")


def _accumulated_dose(dose: dict[str, Any], d: dict[str, Any]) -> Dataset:
    """TID 10002 "Accumulated X-Ray Dose" with TID 10007 "Accumulated Total Projection Radiography Dose"."""
    dap, k_inc, ssd = _f(dose, "dap_gycm2"), _f(dose, "incident_air_kerma_mgy"), _f(d, "ssd_mm")
    return sr.container(("113702", "DCM", "Accumulated X-Ray Dose Data"), template="10002", children=[
        _SINGLE_PLANE,
        sr.num(sr.CONTAINS, ("113722", "DCM", "Dose Area Product Total"), (dap or 0.0) * 1e-4, _GYM2),
        sr.num(sr.CONTAINS, ("113725", "DCM", "Dose (RP) Total"), (k_inc or 0.0) / 1000.0, _GY),
        sr.num(sr.CONTAINS, ("113731", "DCM", "Total Number of Radiographic Frames"), 1, sr.NO_UNITS),
        sr.num(sr.CONTAINS, ("113737", "DCM", "Distance Source to Reference Point"), ssd, _MM) if ssd else None,
        sr.code(sr.CONTAINS, ("113780", "DCM", "Reference Point Definition"), _RP_AT_SURFACE),
    ])


def _irradiation_event(acq: Acquisition, irradiation_uid: str, started: Any) -> Dataset:
    """TID 10003 "Irradiation Event X-Ray Data" with TID 10003A (detector), 10003B (source), 10003C (mechanical)."""
    d, dose = acq.dicom, acq.dose
    region = anatomic_region(d)
    laterality = sr.laterality_code(str(d.get("image_laterality") or ""))
    _, view_code = VIEWS.get(str(d.get("view_position") or "").upper(), (None, None))
    position = PATIENT_POSITIONS.get(str(d.get("patient_position") or "").upper())
    kvp, mas = _f(d, "kvp"), _f(d, "mas")
    ma, ms = _f(d, "tube_current_ma"), _f(d, "exposure_time_ms")
    if mas is None and ma is not None and ms is not None:
        mas = ma * ms / 1000.0
    dap, k_inc = _f(dose, "dap_gycm2"), _f(dose, "incident_air_kerma_mgy")
    field = d.get("field_mm")
    anode = ANODE_MATERIALS.get(str(d.get("anode_target") or "").upper())
    filter_code = FILTER_MATERIALS.get(str(d.get("filter_material") or "").upper())
    filter_mm = _f(d, "filter_thickness_mm")
    patient_position = str(d.get("patient_position") or "").upper()
    upright, table = ("113954", "DCM", "Upright Stand Mount"), ("113952", "DCM", "Table Mount")
    mount = {"ERECT": upright, "STANDING": upright, "SUPINE": table, "PRONE": table}.get(patient_position)
    if filter_code and filter_mm:
        filters = [sr.code(sr.CONTAINS, ("113772", "DCM", "X-Ray Filter Type"), ("113653", "DCM", "Flat filter")),
                   sr.code(sr.CONTAINS, ("113757", "DCM", "X-Ray Filter Material"), filter_code),
                   sr.num(sr.CONTAINS, ("113758", "DCM", "X-Ray Filter Thickness Minimum"), filter_mm, _MM),
                   sr.num(sr.CONTAINS, ("113773", "DCM", "X-Ray Filter Thickness Maximum"), filter_mm, _MM)]
    else:
        filters = [sr.code(sr.CONTAINS, ("113772", "DCM", "X-Ray Filter Type"), ("111609", "DCM", "No filter"))]
    if d.get("grid"):
        grids = [("111642", "DCM", "Focused grid") if _f(d, "grid_focus_mm") else ("111644", "DCM", "Parallel grid"),
                 ("111643", "DCM", "Reciprocating grid")]
    else:
        grids = [("111646", "DCM", "No grid")]
    notes = []
    if _f(dose, "esak_mgy") is not None:
        notes.append(f"Entrance surface air kerma (with backscatter) {dose['esak_mgy']:.4g} mGy")
    if _f(dose, "effective_dose_msv") is not None:
        notes.append(f"estimated effective dose {dose['effective_dose_msv']:.3g} mSv")
    angle = _f(d, "tube_angle_deg")
    ssd = _f(d, "ssd_mm")
    exam_name = str(d.get("exam_name") or d.get("exam_id") or "")
    children: list[Dataset | None] = [
        _SINGLE_PLANE,
        sr.uidref(sr.CONTAINS, ("113769", "DCM", "Irradiation Event UID"), irradiation_uid),
        sr.datetime_item(sr.CONTAINS, ("111526", "DCM", "DateTime Started"), started),
        sr.code(sr.CONTAINS, ("113721", "DCM", "Irradiation Event Type"), ("113611", "DCM", "Stationary Acquisition")),
        sr.text(sr.CONTAINS, ("125203", "DCM", "Acquisition Protocol"), exam_name) if exam_name else None,
        sr.code(sr.CONTAINS, ("123014", "DCM", "Target Region"), region,
                [sr.code(sr.HAS_CONCEPT_MOD, sr.LATERALITY, laterality)] if laterality else []),
        sr.code(sr.CONTAINS, ("111031", "DCM", "Image View"), view_code) if view_code else None,
        sr.code(sr.CONTAINS, ("113743", "DCM", "Patient Orientation"), position[0],
                [sr.code(sr.HAS_CONCEPT_MOD, ("113744", "DCM", "Patient Orientation Modifier"), position[1])]
                if position[1] else []) if position else None,
        sr.num(sr.CONTAINS, ("122130", "DCM", "Dose Area Product"), dap * 1e-4, _GYM2) if dap is not None else None,
        # TID 10003A Irradiation Event X-Ray Detector Data
        sr.num_if(sr.CONTAINS, ("113845", "DCM", "Exposure Index"), _f(dose, "ei"), sr.NO_UNITS),
        sr.num_if(sr.CONTAINS, ("113846", "DCM", "Target Exposure Index"), _f(dose, "ei_target"), sr.NO_UNITS),
        sr.num_if(sr.CONTAINS, ("113847", "DCM", "Deviation Index"), _f(dose, "di"), sr.NO_UNITS),
        # TID 10003B Irradiation Event X-Ray Source Data
        sr.num(sr.CONTAINS, ("113738", "DCM", "Dose (RP)"), k_inc / 1000.0, _GY) if k_inc is not None else None,
        sr.code(sr.CONTAINS, ("113780", "DCM", "Reference Point Definition"), _RP_AT_SURFACE)
        if k_inc is not None else None,
        sr.num(sr.CONTAINS, ("113733", "DCM", "KVP"), kvp, sr.unit("kV")) if kvp else None,
        sr.num(sr.CONTAINS, ("113734", "DCM", "X-Ray Tube Current"), ma, sr.unit("mA")) if ma is not None else None,
        sr.num(sr.CONTAINS, ("113824", "DCM", "Exposure Time"), ms, sr.unit("ms")) if ms is not None else None,
        sr.num(sr.CONTAINS, ("113736", "DCM", "Exposure"), mas * 1000.0, sr.unit("uA.s"))
        if mas is not None else None,
        sr.num_if(sr.CONTAINS, ("113766", "DCM", "Focal Spot Size"), _f(d, "focal_spot_mm"), _MM),
        sr.code(sr.CONTAINS, ("111632", "DCM", "Anode Target Material"), anode) if anode else None,
        sr.container(("113771", "DCM", "X-Ray Filters"), filters),
        *([sr.num(sr.CONTAINS, ("113790", "DCM", "Collimated Field Area"),
                  float(field[0]) * float(field[1]) * 1e-6, sr.unit("m2")),
           sr.num(sr.CONTAINS, ("113788", "DCM", "Collimated Field Height"), float(field[1]), _MM),
           sr.num(sr.CONTAINS, ("113789", "DCM", "Collimated Field Width"), float(field[0]), _MM)]
          if field else []),
        *[sr.code(sr.CONTAINS, ("111635", "DCM", "X-Ray Grid"), g) for g in grids],
        # TID 10003C Irradiation Event X-Ray Mechanical Data
        sr.code(sr.CONTAINS, ("113956", "DCM", "CR/DR Mechanical Configuration"), mount) if mount else None,
        sr.num(sr.CONTAINS, ("113770", "DCM", "Column Angulation"), angle, sr.unit("deg", "degree"))
        if angle is not None else None,
        sr.num_if(sr.CONTAINS, ("113750", "DCM", "Distance Source to Detector"), _f(d, "sid_mm"), _MM),
        sr.num(sr.CONTAINS, ("113737", "DCM", "Distance Source to Reference Point"), ssd, _MM) if ssd else None,
        sr.text(sr.CONTAINS, ("121106", "DCM", "Comment"), "; ".join(notes)) if notes else None,
    ]
    return sr.container(("113706", "DCM", "Irradiation Event X-Ray Data"), template="10003", children=children)
