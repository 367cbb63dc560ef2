"""MRI → DICOM: an MR Image Storage series, one dataset per slice.

Each image is built module by module as PS3.3 A.4 lists them for the MR Image IOD: Patient, General Study,
Patient Study, General Series, Frame of Reference, General Equipment, General Acquisition, General Image,
Image Plane, Image Pixel, (Contrast/Bolus), MR Image, VOI LUT and SOP Common. There is no dose report: MR has
no ionising radiation; SAR and dB/dt go in the MR Image Module.

Contract (``Acquisition`` from the MR scanner):

* ``images``: (slices, rows, cols) uint16 magnitude (no rescale). ``pixel_spacing_mm``: (row, column) in mm.
* ``display``: ``window_centre``, ``window_width`` (stored values; default: 1st–99.5th percentile).
* ``dicom`` (see :data:`DICOM_KEYS`; all optional except ``scanning_sequence``; missing ones leave type 3
  attributes out and type 2 ones empty):

  - sequence: ``sequence_id``, ``sequence_name`` (Sequence Name), ``scanning_sequence`` (SE, IR, GR, EP, RM;
    several as ``"SE\\IR"`` or a list), ``sequence_variant`` (SK, MTC, SS, TRSS, SP, MP, OSP, NONE),
    ``scan_options`` (PER, RG, CG, PPG, FC, PFF, PFP, SP, FS; others are kept, dciodvfy warns), ``tr_ms``,
    ``te_ms``, ``ti_ms`` (written only when the scanning sequence includes IR), ``flip_deg``, ``etl``,
    ``field_t``, ``nex``, ``bw_hz_px``, ``matrix`` = (frequency, phase) acquired, ``phase_dir`` ROW|COL,
    ``percent_sampling``, ``percent_phase_fov``, ``coil`` (Receive Coil Name), ``sar_wkg`` (or
    ``dose["sar_wkg"]``), ``dbdt_tps`` (dB/dt, T/s), ``b_value`` (s/mm², one value or one per slice).
  - geometry: ``slice_mm``, ``gap_mm``, ``orientation`` (axial|sagittal|coronal, used when
    ``image_orientation`` is missing), ``image_orientation`` (6 direction cosines, LPS), ``slice_positions``
    (LPS [x, y, z] of the centre of the first pixel of each slice; default: a stack centred on the isocentre,
    ``slice_mm + gap_mm`` apart), ``patient_position`` (default HFS, FFS for the legs).
  - description: ``series_description``, ``series_number`` (default 1), ``body_part``, ``anatomic_region``
    (code, scheme, meaning), ``image_type_extra`` (e.g. ``"ADC"``: Image Type
    DERIVED\\SECONDARY\\DIFFUSION MAP\\ADC; without it ORIGINAL\\PRIMARY\\OTHER),
    ``contrast_agent`` (Contrast/Bolus Module when given), ``frame_of_reference_uid`` (default: one per study
    and patient position, so the series of one MR examination share it).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from scanroom.dicom import modules as m
from scanroom.dicom.export import register_writer
from scanroom.dicom.modules import GYROMAGNETIC_MHZ_PER_T, StudyContext
from scanroom.dicom.writers._codes import anatomic_region
from scanroom.scanner.base import Acquisition

MR_IMAGE = "1.2.840.10008.5.1.4.1.1.4"

DICOM_KEYS = (
    "sequence_id", "sequence_name", "scanning_sequence", "sequence_variant", "scan_options", "tr_ms", "te_ms",
    "ti_ms", "flip_deg", "etl", "field_t", "nex", "bw_hz_px", "matrix", "phase_dir", "percent_sampling",
    "percent_phase_fov", "slice_mm", "gap_mm", "orientation", "image_orientation", "slice_positions", "body_part",
    "anatomic_region", "coil", "sar_wkg", "b_value", "series_description", "image_type_extra",
    # optional extras understood when present
    "dbdt_tps", "patient_position", "series_number", "contrast_agent", "frame_of_reference_uid",
)

# Image Orientation (Patient) of the standard planes, LPS: row direction, then column direction
ORIENTATIONS: dict[str, tuple[float, ...]] = {
    "axial": (1.0, 0.0, 0.0, 0.0, 1.0, 0.0),  # rows to the patient's left, columns to posterior
    "coronal": (1.0, 0.0, 0.0, 0.0, 0.0, -1.0),  # rows to the left, columns to the feet
    "sagittal": (0.0, 1.0, 0.0, 0.0, 0.0, -1.0),  # rows to posterior, columns to the feet
}
SCANNING_SEQUENCES = {"SE", "IR", "GR", "EP", "RM"}
SEQUENCE_VARIANTS = {"SK", "MTC", "SS", "TRSS", "SP", "MP", "OSP", "NONE"}
_LEGS = {"KNEE", "LEG", "ANKLE", "FOOT", "THIGH", "HIP", "LOWER LIMB"}
# Image Type value 3 for MR (PS3.3 C.8.3.1.1.1 defined terms); a more specific term follows as value 4
MR_IMAGE_TYPE_3 = {"MPR", "T2 MAP", "PHASE MAP", "PHASE SUBTRACT", "PROJECTION IMAGE", "DIFFUSION MAP",
                   "VELOCITY MAP", "MODULUS SUBTRACT", "T1 MAP", "DENSITY MAP", "IMAGE ADDITION", "OTHER"}
_VALUE_3_FOR = {"ADC": "DIFFUSION MAP", "FA": "DIFFUSION MAP", "TRACEW": "DIFFUSION MAP", "EADC": "DIFFUSION MAP",
                "T1": "T1 MAP", "T2": "T2 MAP", "PD": "DENSITY MAP", "MIP": "PROJECTION IMAGE",
                "SUB": "MODULUS SUBTRACT", "PHASE": "PHASE MAP"}
_DERIVATIONS = {"ADC": "Apparent diffusion coefficient map", "TRACEW": "Isotropic (trace) diffusion image",
                "FA": "Fractional anisotropy map", "MIP": "Maximum intensity projection"}


def mr_image_type(extra: Sequence[str]) -> tuple[str, ...]:
    """ORIGINAL\\PRIMARY\\OTHER, or DERIVED\\SECONDARY\\<value 3>[\\<extra>] for a derived image."""
    if not extra:
        return ("ORIGINAL", "PRIMARY", "OTHER")
    first = extra[0]
    if first in MR_IMAGE_TYPE_3:
        return ("DERIVED", "SECONDARY", *extra)
    return ("DERIVED", "SECONDARY", _VALUE_3_FOR.get(first, "OTHER"), *extra)


def _f(mapping: dict[str, Any], key: str) -> float | None:
    value = mapping.get(key)
    if value is None or isinstance(value, str) and not value.strip():
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _terms(value: Any) -> list[str]:
    """A multi-valued CS from ``"SE\\IR"``, ``["SE", "IR"]`` or ``""`` (empty values dropped)."""
    if value is None:
        return []
    parts = value.split("\\") if isinstance(value, str) else [str(v) for v in value]
    return [p.strip().upper() for p in parts if p and p.strip()]


@dataclasses.dataclass(frozen=True)
class MrGeometry:
    """Where each slice lies in the patient (LPS, mm)."""

    orientation: tuple[float, ...]  # row direction cosines, then column direction cosines
    normal: np.ndarray  # row × column: the slice normal
    positions: list[np.ndarray]  # centre of the first (top-left) pixel of each slice
    spacing_between: float | None  # centre-to-centre distance of neighbouring slices along the normal

    def slice_location(self, index: int) -> float:
        return float(np.dot(self.positions[index], self.normal))


def mr_geometry(acq: Acquisition) -> MrGeometry:
    """The slice geometry from the contract, checked: orthonormal orientation, one position per slice."""
    d = acq.dicom
    slices, rows, cols = acq.images.shape
    row_mm, col_mm = (float(v) for v in acq.pixel_spacing_mm)
    given = d.get("image_orientation")
    if given is not None:
        if len(given) != 6:
            raise ValueError(f"image_orientation needs 6 direction cosines, not {len(given)}")
        cosines = np.asarray([float(v) for v in given])
    else:
        name = str(d.get("orientation") or "axial").lower()
        if name not in ORIENTATIONS:
            raise ValueError(f"orientation {name!r} is not one of {', '.join(ORIENTATIONS)}")
        cosines = np.asarray(ORIENTATIONS[name])
    row_dir, col_dir = cosines[:3], cosines[3:]
    if not (abs(np.linalg.norm(row_dir) - 1) < 1e-3 and abs(np.linalg.norm(col_dir) - 1) < 1e-3
            and abs(float(np.dot(row_dir, col_dir))) < 1e-3):
        raise ValueError(f"image_orientation {list(cosines)} is not two orthogonal unit vectors")
    row_dir, col_dir = row_dir / np.linalg.norm(row_dir), col_dir / np.linalg.norm(col_dir)
    normal = np.cross(row_dir, col_dir)
    slice_mm, gap_mm = _f(d, "slice_mm"), _f(d, "gap_mm") or 0.0
    positions_given = d.get("slice_positions")
    if positions_given is not None:
        if len(positions_given) != slices:
            raise ValueError(f"slice_positions has {len(positions_given)} positions for {slices} slices")
        positions = [np.asarray([float(v) for v in p]) for p in positions_given]
        if any(p.shape != (3,) for p in positions):
            raise ValueError("each slice position is [x, y, z]")
    else:
        step = (slice_mm or 1.0) + gap_mm
        half_extent = row_dir * col_mm * (cols - 1) / 2.0 + col_dir * row_mm * (rows - 1) / 2.0
        positions = [normal * step * (k - (slices - 1) / 2.0) - half_extent for k in range(slices)]
    spacing: float | None = None
    if slices > 1:
        along = np.diff([float(np.dot(p, normal)) for p in positions])
        if np.allclose(along, along[0], atol=1e-3) and abs(along[0]) > 1e-6:
            spacing = abs(float(along[0]))
    elif slice_mm:
        spacing = slice_mm + gap_mm
    return MrGeometry(orientation=tuple(float(v) for v in (*row_dir, *col_dir)), normal=normal,
                      positions=positions, spacing_between=spacing)


def _b_values(d: dict[str, Any], slices: int) -> list[float | None]:
    value = d.get("b_value")
    if value is None:
        return [None] * slices
    if isinstance(value, Sequence) and not isinstance(value, str) or isinstance(value, np.ndarray):
        values = [None if v is None else float(v) for v in value]
        if len(values) != slices:
            raise ValueError(f"b_value has {len(values)} values for {slices} slices")
        return values
    return [float(value)] * slices


def _bits_stored(pixels: np.ndarray) -> int:
    needed = int(pixels.max()).bit_length() if pixels.size else 1
    return max(12, min(16, needed))


def _unsigned(images: np.ndarray) -> np.ndarray:
    if images.dtype == np.uint16:
        return images
    if images.dtype == np.int16 and (images.size == 0 or int(images.min()) >= 0):
        return images.astype(np.uint16)
    raise ValueError(f"MR magnitude images must be uint16 (or non-negative int16), not {images.dtype}")


@register_writer("mri")
def write_mri(acquisition: Acquisition, ctx: StudyContext) -> list[Dataset]:
    """[MR image per slice …] for one MR acquisition (one series)."""
    if acquisition.images.ndim != 3 or acquisition.images.shape[0] < 1:
        raise ValueError(f"MR images must be (slices, rows, cols), not {acquisition.images.shape}")
    ctx = dataclasses.replace(ctx, study_uid=ctx.study_uid or generate_uid(), when=ctx.moment())
    return mr_series(acquisition, ctx)


def mr_series(acq: Acquisition, ctx: StudyContext) -> list[Dataset]:
    d, display = acq.dicom, acq.display
    if not _terms(d.get("scanning_sequence")):
        raise ValueError("dicom['scanning_sequence'] is required for MR images (SE, IR, GR, EP or RM)")
    stored = _unsigned(np.asarray(acq.images))
    slices = stored.shape[0]
    geometry = mr_geometry(acq)
    b_values = _b_values(d, slices)
    bits = _bits_stored(stored)
    body_part = str(d.get("body_part") or "").upper()
    patient_position = str(d.get("patient_position") or ("FFS" if body_part in _LEGS else "HFS")).upper()
    series_uid, acquisition_uid = generate_uid(), generate_uid()
    frame_uid = str(d.get("frame_of_reference_uid") or
                    generate_uid(entropy_srcs=[str(ctx.study_uid), "scanroom-mr-frame", patient_position]))
    name = str(d.get("sequence_name") or d.get("sequence_id") or "MR")
    description = str(d.get("series_description") or name)
    extra = _terms(d.get("image_type_extra"))
    image_type = mr_image_type(extra)
    region = anatomic_region(d)
    if "window_centre" in display and "window_width" in display:
        centre, width = float(display["window_centre"]), float(display["window_width"])
    else:
        nonzero = stored[stored > 0]
        lo, hi = np.percentile(nonzero, [1.0, 99.5]) if nonzero.size else (0.0, 1.0)
        centre, width = float(lo + hi) / 2.0, max(float(hi - lo), 1.0)
    datasets = []
    for index in range(slices):
        ds = m.new_dataset(MR_IMAGE)
        m.patient_module(ds, ctx)
        m.general_study_module(ds, ctx)
        m.patient_study_module(ds, ctx)
        m.general_series_module(ds, ctx, modality="MR", series_uid=series_uid,
                                series_number=int(d.get("series_number") or 1), description=description,
                                body_part=body_part)
        ds.PatientPosition = patient_position
        ds.ProtocolName = description[:64]
        m.frame_of_reference_module(ds, frame_of_reference_uid=frame_uid)
        m.general_equipment_module(ds)
        m.general_acquisition_module(ds, ctx, acquisition_number=1, acquisition_uid=acquisition_uid)
        m.general_image_module(ds, ctx, instance_number=index + 1, image_type=image_type, image_plane=True)
        if extra:
            ds.DerivationDescription = _DERIVATIONS.get(extra[0], f"{' '.join(extra)} computed by Scanroom")
        m.image_plane_module(ds, pixel_spacing=(float(acq.pixel_spacing_mm[0]), float(acq.pixel_spacing_mm[1])),
                             position=[float(v) for v in geometry.positions[index]], orientation=geometry.orientation,
                             slice_thickness=_f(d, "slice_mm"), spacing_between_slices=geometry.spacing_between,
                             slice_location=geometry.slice_location(index))
        m.image_pixel_module(ds, stored[index], photometric="MONOCHROME2", bits_stored=bits)
        if d.get("contrast_agent"):
            m.contrast_bolus_module(ds, agent=str(d["contrast_agent"]))
        m.mr_image_module(
            ds, scanning_sequence=_terms(d.get("scanning_sequence")),
            sequence_variant=_terms(d.get("sequence_variant")), scan_options=_terms(d.get("scan_options")),
            acquisition_type=str(d.get("acquisition_type") or "2D"), tr_ms=_f(d, "tr_ms"), te_ms=_f(d, "te_ms"),
            ti_ms=_f(d, "ti_ms"), etl=_f(d, "etl"), flip_deg=_f(d, "flip_deg"), field_t=_f(d, "field_t"),
            nex=_f(d, "nex"), bandwidth_hz_px=_f(d, "bw_hz_px"), matrix=d.get("matrix"),
            phase_direction=d.get("phase_dir"), percent_sampling=_f(d, "percent_sampling"),
            percent_phase_fov=_f(d, "percent_phase_fov"), sequence_name=name, receive_coil=d.get("coil"),
            sar_wkg=_f(d, "sar_wkg") if d.get("sar_wkg") is not None else _f(acq.dose, "sar_wkg"),
            dbdt_tps=_f(d, "dbdt_tps"), spacing_between_slices=geometry.spacing_between,
            anatomic_region=region)
        b_value = b_values[index]
        if b_value is not None:
            ds.DiffusionBValue = b_value
        m.voi_lut_module(ds, centre=centre, width=width, explanation="Scanroom default")
        m.sop_common_module(ds, sop_class_uid=MR_IMAGE, sop_instance_uid=generate_uid(), ctx=ctx)
        datasets.append(ds)
    return datasets


__all__ = ["DICOM_KEYS", "GYROMAGNETIC_MHZ_PER_T", "MR_IMAGE", "MrGeometry", "mr_geometry", "mr_image_type",
           "mr_series", "write_mri"]
