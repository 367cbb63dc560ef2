"""CT → DICOM: a CT Image Storage series (one dataset per slice), an optional localizer (scout) image and an
X-Ray Radiation Dose SR (TID 10011).

Images are built module by module as PS3.3 A.3 lists them for the CT Image IOD; the dose report follows
PS3.16 TID 10011 "CT Radiation Dose" with TID 10012 (accumulated dose) and one TID 10013 "CT Irradiation
Event" per irradiation: the scout (Constant Angle Acquisition) when there is one, then the scan (acquisition
parameters, TID 10014 scanning length, X-ray source parameters, CT dose with CTDIvol, DLP, phantom type,
effective dose and the size-specific dose estimate).

Contract (``Acquisition`` from the CT scanner):

* ``images``: (slices, rows, cols) int16 or uint16 stored values; HU = stored × slope + intercept.
  ``pixel_spacing_mm``: Pixel Spacing (row, column) in mm.
* ``display``: ``rescale_intercept`` (default −1024, or 0 when stored values are negative), ``rescale_slope``
  (default 1), ``window_centre``, ``window_width`` (HU).
* ``dicom``: see :data:`DICOM_KEYS`; all optional except ``kvp``. ``slice_positions_mm`` are the LPS z of
  each slice (default: contiguous, downwards from 0), ``image_origin_xy_mm`` the LPS (x, y) of the centre of
  the top-left pixel (default: image centred on the isocentre). ``exposure_time_ms`` is written per image
  (CT Image Exposure Time); the report's event exposure time is derived from the scan length, pitch,
  collimation and rotation time when those are known.
* ``dose``: ``ctdivol_mgy``, ``dlp_mgycm``, ``ssde_mgy``, ``water_equivalent_diameter_cm``,
  ``effective_dose_msv``, ``scan_length_mm`` (all optional) — of the scan, without the scout.
* scout (optional): ``extras["scout"]`` a 2-D uint16 or int16 image (rows, columns) and ``dicom["scout"]``
  with ``pixel_spacing_mm`` (row, column; required with a scout), ``kvp``, ``mas`` (total for the scout),
  ``view`` (AP or LATERAL), ``image_position`` (LPS of the first pixel's centre), ``image_orientation`` (6
  direction cosines; default from the view, rows down to the feet); optional ``tube_current_ma``,
  ``exposure_time_s``, ``table_speed_mm_s`` (beam-on time = length / speed when time and mA are unknown;
  default 100 mm/s), ``window_centre``, ``window_width``, ``rescale_intercept``, ``rescale_slope``,
  ``ctdivol_mgy``, ``dlp_mgycm`` (added to the DLP total), ``collimation_mm``, ``single_collimation_mm``
  (default: the scan's). It is written as a CT Image with Image Type
  ORIGINAL\\PRIMARY\\LOCALIZER in its own series (number 1) sharing the scan's Frame of Reference, after the
  axial images (which stay first in the list), and reported as its own irradiation event.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from scanroom.dicom import modules as m
from scanroom.dicom.export import register_writer
from scanroom.dicom.modules import StudyContext
from scanroom.dicom.writers import _sr as sr
from scanroom.dicom.writers._codes import anatomic_region
from scanroom.scanner.base import Acquisition

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
XRAY_RADIATION_DOSE_SR = "1.2.840.10008.5.1.4.1.1.88.67"

DICOM_KEYS = (
    "protocol_id", "protocol_name", "body_part", "anatomic_region", "kvp", "tube_current_ma", "exposure_time_ms",
    "mas_per_rotation", "rotation_time_s", "pitch", "collimation_mm", "single_collimation_mm", "slice_mm",
    "slice_spacing_mm", "kernel", "fov_mm", "scan_fov_mm", "slice_positions_mm", "image_origin_xy_mm",
    "contrast_phase", "phantom_type",
    # optional extras understood when present
    "patient_position", "gantry_tilt_deg", "max_tube_current_ma", "sid_mm", "sod_mm", "focal_spot_mm", "scout",
)
SCOUT_KEYS = (
    "pixel_spacing_mm", "kvp", "mas", "view", "image_position", "image_orientation",
    # optional extras understood when present
    "tube_current_ma", "exposure_time_s", "table_speed_mm_s", "window_centre", "window_width", "rescale_intercept",
    "rescale_slope", "ctdivol_mgy", "dlp_mgycm", "collimation_mm", "single_collimation_mm",
)
# Image Orientation (Patient) of a scout by view, LPS: AP seen from the front, lateral from the patient's left;
# rows run down to the feet
SCOUT_ORIENTATIONS: dict[str, tuple[float, ...]] = {
    "AP": (1.0, 0.0, 0.0, 0.0, 0.0, -1.0),
    "PA": (-1.0, 0.0, 0.0, 0.0, 0.0, -1.0),
    "LATERAL": (0.0, 1.0, 0.0, 0.0, 0.0, -1.0),
}
DEFAULT_SCOUT_TABLE_SPEED_MM_S = 100.0

Code = tuple[str, str, str]

# CID 4052 "Phantom Devices" (CTDIw phantom type): 16 cm head, 32 cm body
PHANTOMS: dict[str, Code] = {
    "HEAD": ("113690", "DCM", "IEC Head Dosimetry Phantom"),
    "BODY": ("113691", "DCM", "IEC Body Dosimetry Phantom"),
}
_NO_CONTRAST = {"", "NONE", "NATIVE", "NON-CONTRAST", "NONCONTRAST", "PLAIN", "UNENHANCED", "WITHOUT"}

_DEVICE_UID = generate_uid(entropy_srcs=["scanroom", "ct-room", m.MANUFACTURER])


def _f(mapping: dict[str, Any], key: str) -> float | None:
    value = mapping.get(key)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _bits_stored(pixels: np.ndarray, requested: Any) -> int:
    if pixels.size == 0:
        return 12
    lo, hi = int(pixels.min()), int(pixels.max())
    needed = hi.bit_length() if pixels.dtype == np.uint16 else max(hi.bit_length(), (-lo - 1).bit_length()) + 1
    return max(12, min(16, max(int(requested or 0), needed)))


@dataclasses.dataclass(frozen=True)
class _Geometry:
    z: list[float]
    origin_xy: tuple[float, float]
    spacing_between: float | None


def _geometry(acq: Acquisition) -> _Geometry:
    d = acq.dicom
    slices, rows, cols = acq.images.shape
    row_mm, col_mm = (float(v) for v in acq.pixel_spacing_mm)
    spacing = _f(d, "slice_spacing_mm") or _f(d, "slice_mm")
    given = d.get("slice_positions_mm")
    if given is not None and len(given) == slices:
        z = [float(v) for v in given]
    else:
        if given is not None:
            raise ValueError(f"slice_positions_mm has {len(given)} positions for {slices} slices")
        z = [-i * (spacing or 1.0) for i in range(slices)]
    if spacing is None and slices > 1:
        spacing = abs(z[1] - z[0])
    origin = d.get("image_origin_xy_mm")
    origin_xy = ((float(origin[0]), float(origin[1])) if origin is not None
                 else (-(cols - 1) / 2.0 * col_mm, -(rows - 1) / 2.0 * row_mm))
    return _Geometry(z=z, origin_xy=origin_xy, spacing_between=spacing)


def _event_exposure_time_s(d: dict[str, Any], dose: dict[str, Any]) -> float | None:
    """Total beam-on time of the acquisition: scan length / table speed for a helix, else from the images."""
    pitch, collimation, rotation = _f(d, "pitch"), _f(d, "collimation_mm"), _f(d, "rotation_time_s")
    length = _f(dose, "scan_length_mm")
    if pitch and collimation and rotation and length:
        return length / (pitch * collimation) * rotation
    ms = _f(d, "exposure_time_ms")
    return None if ms is None else ms / 1000.0


@register_writer("ct")
def write_ct(acquisition: Acquisition, ctx: StudyContext) -> list[Dataset]:
    """[CT image per slice …, X-Ray Radiation Dose SR] for one CT acquisition."""
    if acquisition.images.ndim != 3 or acquisition.images.shape[0] < 1:
        raise ValueError(f"CT images must be (slices, rows, cols), not {acquisition.images.shape}")
    if acquisition.images.dtype not in (np.int16, np.uint16):
        raise ValueError(f"CT stored values must be int16 or uint16, not {acquisition.images.dtype}")
    ctx = dataclasses.replace(ctx, study_uid=ctx.study_uid or generate_uid(), when=ctx.moment())
    irradiation_uid, frame_uid = generate_uid(), generate_uid()
    images = _ct_series(acquisition, ctx, irradiation_uid, frame_uid)
    scout = None
    if acquisition.extras.get("scout") is not None:
        scout = _Scout.of(acquisition)
        scout.dataset = _scout_image(acquisition, ctx, scout, frame_uid)
    scouts = [scout.dataset] if scout and scout.dataset is not None else []
    return [*images, *scouts, _dose_report(acquisition, ctx, irradiation_uid, images, scout)]


# -- the images ------------------------------------------------------------------------------------------

def _ct_series(acq: Acquisition, ctx: StudyContext, irradiation_uid: str, frame_uid: str) -> list[Dataset]:
    d, dose, display = acq.dicom, acq.dose, acq.display
    geometry = _geometry(acq)
    stored = np.asarray(acq.images)
    if "rescale_intercept" in display:
        intercept = float(display["rescale_intercept"])
    else:
        intercept = 0.0 if stored.size and int(stored.min()) < 0 else -1024.0
    slope = float(display.get("rescale_slope", 1.0))
    bits = _bits_stored(stored, display.get("bits_stored"))
    series_uid, acquisition_uid = generate_uid(), generate_uid()
    name = str(d.get("protocol_name") or d.get("protocol_id") or "CT")
    phase = str(d.get("contrast_phase") or "").strip()
    contrast = phase.upper() not in _NO_CONTRAST
    description = f"{name} ({phase})" if contrast else name
    ma, ms = _f(d, "tube_current_ma"), _f(d, "exposure_time_ms")
    mas = ma * ms / 1000.0 if ma is not None and ms is not None else _f(d, "mas_per_rotation")
    wed_cm = _f(dose, "water_equivalent_diameter_cm")
    phantom = PHANTOMS.get(str(d.get("phantom_type") or "").upper())
    region = anatomic_region(d)
    centre = float(display.get("window_centre", 40.0))
    width = float(display.get("window_width", 400.0))
    datasets = []
    for index, z in enumerate(geometry.z):
        ds = m.new_dataset(CT_IMAGE)
        m.patient_module(ds, ctx)
        m.general_study_module(ds, ctx)
        m.patient_study_module(ds, ctx)
        m.general_series_module(ds, ctx, modality="CT", series_uid=series_uid, series_number=2,
                                description=description, body_part=str(d.get("body_part") or ""))
        ds.PatientPosition = str(d.get("patient_position") or "HFS")
        ds.ProtocolName = name[:64]
        m.frame_of_reference_module(ds, frame_of_reference_uid=frame_uid)
        m.enhanced_general_equipment_module(ds, device_uid=_DEVICE_UID)
        m.general_acquisition_module(ds, ctx, acquisition_number=1, acquisition_uid=acquisition_uid)
        m.general_image_module(ds, ctx, instance_number=index + 1, image_type=("ORIGINAL", "PRIMARY", "AXIAL"),
                               image_plane=True)
        ds.IrradiationEventUID = irradiation_uid
        ds.AnatomicRegionSequence = [m.code_item(*region)]
        m.image_plane_module(ds, pixel_spacing=(float(acq.pixel_spacing_mm[0]), float(acq.pixel_spacing_mm[1])),
                              position=(geometry.origin_xy[0], geometry.origin_xy[1], z),
                              slice_thickness=_f(d, "slice_mm"), spacing_between_slices=geometry.spacing_between,
                              slice_location=z)
        m.image_pixel_module(ds, stored[index], photometric="MONOCHROME2", bits_stored=bits)
        if contrast:
            m.contrast_bolus_module(ds, agent=f"Iodinated contrast (simulated, {phase} phase)")
        m.ct_image_module(
            ds, kvp=_f(d, "kvp"), rescale_intercept=intercept, rescale_slope=slope, tube_current_ma=ma,
            exposure_time_ms=ms, mas=mas, kernel=str(d.get("kernel") or ""),
            data_collection_diameter_mm=_f(d, "scan_fov_mm"), reconstruction_diameter_mm=_f(d, "fov_mm"),
            gantry_tilt_deg=_f(d, "gantry_tilt_deg") or 0.0, revolution_time_s=_f(d, "rotation_time_s"),
            single_collimation_mm=_f(d, "single_collimation_mm"), total_collimation_mm=_f(d, "collimation_mm"),
            pitch=_f(d, "pitch"), ctdivol_mgy=_f(dose, "ctdivol_mgy"), phantom=phantom,
            water_equivalent_diameter_mm=None if wed_cm is None else wed_cm * 10.0,
            focal_spot_mm=_f(d, "focal_spot_mm"), distance_source_to_detector_mm=_f(d, "sid_mm"),
            distance_source_to_patient_mm=_f(d, "sod_mm"))
        m.voi_lut_module(ds, centre=centre, width=width, explanation="Scanroom default")
        m.sop_common_module(ds, sop_class_uid=CT_IMAGE, sop_instance_uid=generate_uid(), ctx=ctx)
        datasets.append(ds)
    return datasets


# -- the scout (localizer) -------------------------------------------------------------------------------

@dataclasses.dataclass
class _Scout:
    """The scout's image and technique, with its geometry worked out."""

    pixels: np.ndarray
    spacing: tuple[float, float]
    view: str
    orientation: tuple[float, ...]
    position: tuple[float, float, float]
    kvp: float | None
    mas: float | None
    ma: float | None
    time_s: float
    z_top: float
    z_bottom: float
    irradiation_uid: str
    settings: dict[str, Any]
    dataset: Dataset | None = None

    @property
    def length_mm(self) -> float:
        return self.z_top - self.z_bottom

    @classmethod
    def of(cls, acq: Acquisition) -> _Scout:
        pixels = np.asarray(acq.extras["scout"])
        if pixels.ndim != 2 or pixels.dtype not in (np.uint16, np.int16):
            raise ValueError(f"extras['scout'] must be a 2-D uint16 or int16 image, not {pixels.dtype} {pixels.shape}")
        d = dict(acq.dicom.get("scout") or {})
        if not d.get("pixel_spacing_mm"):
            raise ValueError("dicom['scout']['pixel_spacing_mm'] (row, column) is required with a scout image")
        spacing = (float(d["pixel_spacing_mm"][0]), float(d["pixel_spacing_mm"][1]))
        view = str(d.get("view") or "AP").upper()
        given = d.get("image_orientation")
        if given is not None and len(given) != 6:
            raise ValueError(f"scout image_orientation needs 6 direction cosines, not {len(given)}")
        orientation = tuple(float(v) for v in given) if given is not None else \
            SCOUT_ORIENTATIONS.get(view, SCOUT_ORIENTATIONS["AP"])
        row_dir, col_dir = np.asarray(orientation[:3]), np.asarray(orientation[3:])
        rows, cols = pixels.shape
        extent = row_dir * spacing[1] * (cols - 1) + col_dir * spacing[0] * (rows - 1)
        if d.get("image_position") is not None:
            position = np.asarray([float(v) for v in d["image_position"]])
        else:  # centred on the isocentre, halfway along the scan
            z = _geometry(acq).z
            position = np.array([0.0, 0.0, (max(z) + min(z)) / 2.0]) - extent / 2.0
        corners_z = [float(position[2]), float(position[2] + extent[2])]
        half_line = abs(float(col_dir[2])) * spacing[0] / 2.0 + abs(float(row_dir[2])) * spacing[1] / 2.0
        z_top, z_bottom = max(corners_z) + half_line, min(corners_z) - half_line
        kvp, mas, ma = _f(d, "kvp"), _f(d, "mas"), _f(d, "tube_current_ma")
        time_s = _f(d, "exposure_time_s")
        if time_s is None and mas is not None and ma:
            time_s = mas / ma
        if time_s is None:
            time_s = (z_top - z_bottom) / (_f(d, "table_speed_mm_s") or DEFAULT_SCOUT_TABLE_SPEED_MM_S)
        if ma is None and mas is not None and time_s > 0:
            ma = mas / time_s
        if mas is None and ma is not None:
            mas = ma * time_s
        return cls(pixels=pixels, spacing=spacing, view=view, orientation=orientation,
                   position=(float(position[0]), float(position[1]), float(position[2])), kvp=kvp, mas=mas, ma=ma,
                   time_s=time_s, z_top=z_top, z_bottom=z_bottom, irradiation_uid=generate_uid(), settings=d)


def _scout_image(acq: Acquisition, ctx: StudyContext, scout: _Scout, frame_uid: str) -> Dataset:
    d, settings = acq.dicom, scout.settings
    name = f"Scout {scout.view}"
    bits = _bits_stored(scout.pixels, None)
    if "window_centre" in settings and "window_width" in settings:
        centre, width = float(settings["window_centre"]), float(settings["window_width"])
    else:
        lo, hi = (np.percentile(scout.pixels, [1.0, 99.5]) if scout.pixels.size else (0.0, 1.0))
        centre, width = float(lo + hi) / 2.0, max(float(hi - lo), 1.0)
    ds = m.new_dataset(CT_IMAGE)
    m.patient_module(ds, ctx)
    m.general_study_module(ds, ctx)
    m.patient_study_module(ds, ctx)
    m.general_series_module(ds, ctx, modality="CT", series_uid=generate_uid(), series_number=1, description=name,
                            body_part=str(d.get("body_part") or ""))
    ds.PatientPosition = str(d.get("patient_position") or "HFS")
    ds.ProtocolName = str(d.get("protocol_name") or d.get("protocol_id") or name)[:64]
    m.frame_of_reference_module(ds, frame_of_reference_uid=frame_uid)
    m.enhanced_general_equipment_module(ds, device_uid=_DEVICE_UID)
    m.general_acquisition_module(ds, ctx, acquisition_number=1, acquisition_uid=generate_uid())
    m.general_image_module(ds, ctx, instance_number=1, image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"),
                           image_plane=True)
    ds.IrradiationEventUID = scout.irradiation_uid
    ds.AnatomicRegionSequence = [m.code_item(*anatomic_region(d))]
    m.image_plane_module(ds, pixel_spacing=scout.spacing, position=scout.position, orientation=scout.orientation,
                         slice_thickness=None)
    m.image_pixel_module(ds, scout.pixels, photometric="MONOCHROME2", bits_stored=bits)
    m.ct_image_module(
        ds, kvp=scout.kvp, rescale_intercept=float(settings.get("rescale_intercept", 0.0)),
        rescale_slope=float(settings.get("rescale_slope", 1.0)), tube_current_ma=scout.ma,
        exposure_time_ms=scout.time_s * 1000.0, mas=scout.mas, gantry_tilt_deg=0.0,
        focal_spot_mm=_f(d, "focal_spot_mm"), distance_source_to_detector_mm=_f(d, "sid_mm"),
        distance_source_to_patient_mm=_f(d, "sod_mm"))
    m.voi_lut_module(ds, centre=centre, width=width, explanation="Scanroom default")
    m.sop_common_module(ds, sop_class_uid=CT_IMAGE, sop_instance_uid=generate_uid(), ctx=ctx)
    return ds


# -- the dose report -------------------------------------------------------------------------------------

def _dose_report(acq: Acquisition, ctx: StudyContext, irradiation_uid: str, images: list[Dataset],
                 scout: _Scout | None = None) -> Dataset:
    ds = m.new_dataset(XRAY_RADIATION_DOSE_SR)
    m.patient_module(ds, ctx)
    m.general_study_module(ds, ctx)
    m.patient_study_module(ds, ctx)
    m.sr_document_series_module(ds, ctx, series_uid=generate_uid(), series_number=900,
                                 description="Radiation Dose Report")
    m.enhanced_general_equipment_module(ds, device_uid=_DEVICE_UID)
    series = [(images[0].SeriesInstanceUID, [(im.SOPClassUID, im.SOPInstanceUID) for im in images])]
    if scout is not None and scout.dataset is not None:
        series.insert(0, (scout.dataset.SeriesInstanceUID, [(CT_IMAGE, scout.dataset.SOPInstanceUID)]))
    evidence = sr.evidence_sequence(ds.StudyInstanceUID, series)
    m.sr_document_general_module(ds, ctx, instance_number=1, evidence=evidence)
    m.sr_document_content_module(ds, ct_dose_tree(acq, ctx, irradiation_uid, ds.StudyInstanceUID,
                                                   images[0].FrameOfReferenceUID, scout))
    m.sop_common_module(ds, sop_class_uid=XRAY_RADIATION_DOSE_SR, sop_instance_uid=generate_uid(), ctx=ctx)
    return ds


_MM = sr.unit("mm")
_MGY = sr.unit("mGy")
_MGYCM = sr.unit("mGy.cm")
_MSV = sr.unit("mSv")
_S = sr.unit("s")
_ICRP_103: Code = ("113841", "DCM", "ICRP Pub 103")
_DLP_TO_E_MC: Code = ("113800", "DCM", "DLP to E conversion via MC computation")
_MEASUREMENT_METHOD: Code = ("370129005", "SCT", "Measurement Method")
_REFERENCE_AUTHORITY: Code = ("121406", "DCM", "Reference Authority")


def _effective_dose(concept: Code, value: float) -> Dataset:
    return sr.num(sr.CONTAINS, concept, value, _MSV, [
        sr.code(sr.HAS_CONCEPT_MOD, _REFERENCE_AUTHORITY, _ICRP_103),
        sr.code(sr.HAS_CONCEPT_MOD, _MEASUREMENT_METHOD, _DLP_TO_E_MC),
    ])


def ct_dose_tree(acq: Acquisition, ctx: StudyContext, irradiation_uid: str, study_uid: str,
                 frame_of_reference_uid: str, scout: _Scout | None = None) -> Dataset:
    """TID 10011 "CT Radiation Dose": the scout's irradiation event (when there is one), then the scan's."""
    d, dose = acq.dicom, acq.dose
    started: datetime = ctx.moment()
    duration = _event_exposure_time_s(d, dose) or 0.0
    effective = _f(dose, "effective_dose_msv")
    dlp_total = _f(dose, "dlp_mgycm") or 0.0
    if scout is not None:
        duration += scout.time_s
        dlp_total += _f(scout.settings, "dlp_mgycm") or 0.0
    accumulated = sr.container(("113811", "DCM", "CT Accumulated Dose Data"), template="10012", children=[
        sr.num(sr.CONTAINS, ("113812", "DCM", "Total Number of Irradiation Events"), 1 if scout is None else 2,
               sr.unit("{events}", "events")),
        sr.num(sr.CONTAINS, ("113813", "DCM", "CT Dose Length Product Total"), dlp_total, _MGYCM),
        _effective_dose(("113814", "DCM", "CT Effective Dose Total"), effective) if effective is not None else None,
    ])
    return sr.container(("113701", "DCM", "X-Ray Radiation Dose Report"), relationship=None, template="10011",
                        children=[
        sr.code(sr.HAS_CONCEPT_MOD, ("121058", "DCM", "Procedure reported"),
                ("77477000", "SCT", "Computed Tomography X-Ray"),
                [sr.code(sr.HAS_CONCEPT_MOD, sr.HAS_INTENT, sr.DIAGNOSTIC_INTENT)]),
        *sr.device_observer_context(device_uid=_DEVICE_UID, name="SCANROOM-CT", manufacturer=m.MANUFACTURER,
                                    model="Scanroom simulator", serial=m.DEVICE_SERIAL_NUMBER),
        sr.scope_of_accumulation_study(study_uid),
        sr.datetime_item(sr.CONTAINS, ("113809", "DCM", "Start of X-Ray Irradiation"), started),
        sr.datetime_item(sr.CONTAINS, ("113810", "DCM", "End of X-Ray Irradiation"),
                         started + timedelta(seconds=duration)),
        accumulated,
        _scout_event(acq, scout, frame_of_reference_uid) if scout is not None else None,
        _ct_event(acq, irradiation_uid, frame_of_reference_uid, duration - (scout.time_s if scout else 0.0)),
        sr.code(sr.CONTAINS, ("113854", "DCM", "Source of Dose Information"),
                ("113856", "DCM", "Automated Data Collection")),
        sr.text(sr.CONTAINS, ("121106", "DCM", "Comment"),
                "Simulated by Scanroom for education; no patient was exposed."),
    ])


def _ct_event(acq: Acquisition, irradiation_uid: str, frame_of_reference_uid: str, duration_s: float) -> Dataset:
    """TID 10013 "CT Irradiation Event Data"."""
    d, dose = acq.dicom, acq.dose
    geometry = _geometry(acq)
    pitch = _f(d, "pitch")
    helical = bool(pitch and pitch > 0)
    phase = str(d.get("contrast_phase") or "").strip()
    contrast = phase.upper() not in _NO_CONTRAST
    slice_mm = _f(d, "slice_mm") or 0.0
    z_top, z_bottom = max(geometry.z) + slice_mm / 2.0, min(geometry.z) - slice_mm / 2.0
    scan_length = _f(dose, "scan_length_mm")
    if scan_length is None:
        scan_length = z_top - z_bottom
    ma = _f(d, "tube_current_ma")
    max_ma = _f(d, "max_tube_current_ma") or ma
    name = str(d.get("protocol_name") or d.get("protocol_id") or "")
    phantom = PHANTOMS.get(str(d.get("phantom_type") or "").upper())

    source = sr.container(("113831", "DCM", "CT X-Ray Source Parameters"), [
        sr.text(sr.CONTAINS, ("113832", "DCM", "Identification of the X-Ray Source"), "A"),
        sr.num_if(sr.CONTAINS, ("113733", "DCM", "KVP"), _f(d, "kvp"), sr.unit("kV")),
        sr.num_if(sr.CONTAINS, ("113833", "DCM", "Maximum X-Ray Tube Current"), max_ma, sr.unit("mA")),
        sr.num_if(sr.CONTAINS, ("113734", "DCM", "X-Ray Tube Current"), ma, sr.unit("mA")),
        sr.num_if(sr.CONTAINS, ("113834", "DCM", "Exposure Time per Rotation"), _f(d, "rotation_time_s"), _S),
    ])
    parameters = sr.container(("113822", "DCM", "CT Acquisition Parameters"), [
        sr.num(sr.CONTAINS, ("113824", "DCM", "Exposure Time"), duration_s, _S),
        # TID 10014 Scanning Length
        sr.num(sr.CONTAINS, ("113825", "DCM", "Scanning Length"), scan_length, _MM),
        sr.num(sr.CONTAINS, ("113893", "DCM", "Length of Reconstructable Volume"), z_top - z_bottom, _MM),
        sr.num(sr.CONTAINS, ("113895", "DCM", "Top Z Location of Reconstructable Volume"), z_top, _MM),
        sr.num(sr.CONTAINS, ("113896", "DCM", "Bottom Z Location of Reconstructable Volume"), z_bottom, _MM),
        sr.uidref(sr.CONTAINS, ("112227", "DCM", "Frame of Reference UID"), frame_of_reference_uid),
        sr.num_if(sr.CONTAINS, ("113826", "DCM", "Nominal Single Collimation Width"),
                  _f(d, "single_collimation_mm"), _MM),
        sr.num_if(sr.CONTAINS, ("113827", "DCM", "Nominal Total Collimation Width"), _f(d, "collimation_mm"), _MM),
        sr.num(sr.CONTAINS, ("113828", "DCM", "Pitch Factor"), pitch, sr.unit("{ratio}", "ratio"))
        if helical and pitch else None,
        sr.num(sr.CONTAINS, ("113823", "DCM", "Number of X-Ray Sources"), 1, sr.unit("{X-Ray sources}",
                                                                                     "X-Ray sources")),
        source,
    ])
    ctdivol, dlp, ssde = _f(dose, "ctdivol_mgy"), _f(dose, "dlp_mgycm"), _f(dose, "ssde_mgy")
    wed_cm, effective = _f(dose, "water_equivalent_diameter_cm"), _f(dose, "effective_dose_msv")
    ssde_item = None
    if ssde is not None:
        ssde_item = sr.num(sr.CONTAINS, ("113930", "DCM", "Size Specific Dose Estimate"), ssde, _MGY, [
            sr.code(sr.HAS_CONCEPT_MOD, _MEASUREMENT_METHOD,
                    ("113988", "DCM", "Estimated from Water Equivalent Diameter")),
            sr.num(sr.INFERRED_FROM, ("113980", "DCM", "Water Equivalent Diameter"), wed_cm, sr.unit("cm"), [
                sr.code(sr.HAS_CONCEPT_MOD, _MEASUREMENT_METHOD,
                        ("113981", "DCM", "Water Equivalent Diameter Representative Value"))])
            if wed_cm is not None else None,
        ])
    ct_dose = sr.container(("113829", "DCM", "CT Dose"), [
        sr.num(sr.CONTAINS, ("113830", "DCM", "Mean CTDIvol"), ctdivol or 0.0, _MGY),
        sr.code(sr.CONTAINS, ("113835", "DCM", "CTDIw Phantom Type"), phantom) if phantom else None,
        sr.num(sr.CONTAINS, ("113838", "DCM", "DLP"), dlp or 0.0, _MGYCM),
        _effective_dose(("113839", "DCM", "Effective Dose"), effective) if effective is not None else None,
        ssde_item,
    ])
    return sr.container(("113819", "DCM", "CT Acquisition"), template="10013", children=[
        sr.text(sr.CONTAINS, ("125203", "DCM", "Acquisition Protocol"), name) if name else None,
        sr.code(sr.CONTAINS, ("123014", "DCM", "Target Region"), anatomic_region(d)),
        sr.code(sr.CONTAINS, ("113820", "DCM", "CT Acquisition Type"),
                ("116152004", "SCT", "Spiral Acquisition") if helical else ("113804", "DCM", "Sequenced Acquisition")),
        sr.code(sr.CONTAINS, ("408730004", "SCT", "Procedure Context"),
                ("27483000", "SCT", "Diagnostic radiography with contrast media") if contrast
                else ("399331006", "SCT", "CT without contrast")),
        sr.uidref(sr.CONTAINS, ("113769", "DCM", "Irradiation Event UID"), irradiation_uid),
        parameters,
        ct_dose,
    ])


def _scout_event(acq: Acquisition, scout: _Scout, frame_of_reference_uid: str) -> Dataset:
    """TID 10013 "CT Irradiation Event Data" for the scout: a Constant Angle Acquisition (no rotation, no pitch)."""
    d, settings = acq.dicom, scout.settings
    source = sr.container(("113831", "DCM", "CT X-Ray Source Parameters"), [
        sr.text(sr.CONTAINS, ("113832", "DCM", "Identification of the X-Ray Source"), "A"),
        sr.num_if(sr.CONTAINS, ("113733", "DCM", "KVP"), scout.kvp, sr.unit("kV")),
        sr.num_if(sr.CONTAINS, ("113833", "DCM", "Maximum X-Ray Tube Current"), scout.ma, sr.unit("mA")),
        sr.num_if(sr.CONTAINS, ("113734", "DCM", "X-Ray Tube Current"), scout.ma, sr.unit("mA")),
    ])
    parameters = sr.container(("113822", "DCM", "CT Acquisition Parameters"), [
        sr.num(sr.CONTAINS, ("113824", "DCM", "Exposure Time"), scout.time_s, _S),
        # TID 10014 Scanning Length: the table travel of the scout
        sr.num(sr.CONTAINS, ("113825", "DCM", "Scanning Length"), scout.length_mm, _MM),
        sr.num(sr.CONTAINS, ("113897", "DCM", "Top Z Location of Scanning Length"), scout.z_top, _MM),
        sr.num(sr.CONTAINS, ("113898", "DCM", "Bottom Z Location of Scanning Length"), scout.z_bottom, _MM),
        sr.uidref(sr.CONTAINS, ("112227", "DCM", "Frame of Reference UID"), frame_of_reference_uid),
        # the scout's own collimation when given, else the scan's (same detector configuration)
        sr.num_if(sr.CONTAINS, ("113826", "DCM", "Nominal Single Collimation Width"),
                  _f(settings, "single_collimation_mm") or _f(d, "single_collimation_mm"), _MM),
        sr.num_if(sr.CONTAINS, ("113827", "DCM", "Nominal Total Collimation Width"),
                  _f(settings, "collimation_mm") or _f(d, "collimation_mm"), _MM),
        sr.num(sr.CONTAINS, ("113823", "DCM", "Number of X-Ray Sources"), 1, sr.unit("{X-Ray sources}",
                                                                                     "X-Ray sources")),
        source,
    ])
    ctdivol, dlp = _f(settings, "ctdivol_mgy"), _f(settings, "dlp_mgycm")
    ct_dose = sr.container(("113829", "DCM", "CT Dose"), [
        sr.num(sr.CONTAINS, ("113830", "DCM", "Mean CTDIvol"), ctdivol, _MGY),
        sr.num(sr.CONTAINS, ("113838", "DCM", "DLP"), dlp, _MGYCM),
    ]) if ctdivol is not None and dlp is not None else None
    return sr.container(("113819", "DCM", "CT Acquisition"), template="10013", children=[
        sr.text(sr.CONTAINS, ("125203", "DCM", "Acquisition Protocol"), f"Scout {scout.view}"),
        sr.code(sr.CONTAINS, ("123014", "DCM", "Target Region"), anatomic_region(d)),
        sr.code(sr.CONTAINS, ("113820", "DCM", "CT Acquisition Type"), ("113805", "DCM", "Constant Angle Acquisition")),
        sr.code(sr.CONTAINS, ("408730004", "SCT", "Procedure Context"), ("399331006", "SCT", "CT without contrast")),
        sr.uidref(sr.CONTAINS, ("113769", "DCM", "Irradiation Event UID"), scout.irradiation_uid),
        parameters,
        ct_dose,
    ])
