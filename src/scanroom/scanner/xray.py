"""X-ray radiography scan room: exam, positioning, exposure factors → a For-Presentation radiograph.

Pipeline (physics from ``scanroom.physics.xray``):

1. Build the digital patient for the exam's region (cached), rotated as positioned.
2. Place tube and detector: the central ray aims at the exam's centring point plus the trainee's
   centring error, the detector sits behind the patient, the collimated field bounds the rays cast.
3. Per-material path lengths (Siddon, cached per pose) → polyenergetic primary for the kVp/filtration/mAs
   → scatter (kernel model) and grid → quantum and electronic noise, MTF, focal-spot blur.
4. Exposure index per IEC 62494-1 (detector air kerma in the anatomy, calibrated at RQA5), deviation index,
   incident air kerma, ESAK (backscatter), DAP, effective-dose estimate, DRL comparison.
5. Processing into a For-Presentation image (log, histogram-based LUT, unsharp-mask edge enhancement).
6. Feedback an educator would give: rotation, clipped anatomy, collimation, centring, DI band, grid
   cut-off, side marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field, model_validator
from scipy import ndimage

from scanroom.physics import materials as material_db
from scanroom.physics.phantom import Phantom
from scanroom.physics.xray import (
    AntiScatterGrid,
    FlatPanelGeometry,
    Scintillator,
    air_kerma_ugy_per_mas,
    detect,
    focal_spot_blur,
    geometry_maps,
    grid_primary_transmission,
    hvl_mm_al,
    material_lut,
    material_volume,
    path_lengths,
    render_primary,
    scatter_signal,
    tube_spectrum,
    water_equivalent_thickness_cm,
)
from scanroom.scanner.base import (
    Acquisition,
    FeedbackItem,
    PatientRequest,
    Progress,
    ProtocolError,
    Scanner,
    ScanProtocol,
)
from scanroom.scanner.phantoms import LRU, cache_key, is_qa, phantom_for
from scanroom.scanner.registry import register
from scanroom.scanner.xray_exams import EXAMS, Exam

ExamId = Literal["chest-pa", "chest-lat", "abdomen-ap", "pelvis-ap", "hand-pa", "hand-oblique", "wrist-pa",
                 "wrist-lat", "knee-ap", "knee-lat", "skull-pa", "lumbar-ap"]

OUTPUT_BITS = 12
OUTPUT_MAX = 2**OUTPUT_BITS - 1
DETECTOR_GAP_MM = 30.0  # patient surface to image receptor (table/bucky), typical
RQA5 = {"kvp": 70.0, "added_al_mm": 21.0}  # IEC 61267 beam quality for EI calibration


def _pair(value: Any) -> Any:
    """Accept "35x43", "35,43", a single number (square) or a pair."""
    if isinstance(value, str):
        parts = [p for p in value.replace("x", ",").replace("X", ",").split(",") if p.strip()]
        return tuple(float(p) for p in parts) if len(parts) == 2 else (float(parts[0]),) * 2
    if isinstance(value, int | float):
        return (float(value), float(value))
    return value


def _offset(value: Any) -> Any:
    """Accept "2" (left/right only) or "2,-1" (left/right, head/feet) in cm."""
    if isinstance(value, str):
        parts = [float(p) for p in value.split(",") if p.strip()]
        return (parts[0], parts[1] if len(parts) > 1 else 0.0)
    if isinstance(value, int | float):
        return (float(value), 0.0)
    return value


FieldCm = Annotated[tuple[Annotated[float, Field(ge=2, le=43)], Annotated[float, Field(ge=2, le=43)]],
                    BeforeValidator(_pair)]
OffsetCm = Annotated[tuple[Annotated[float, Field(ge=-20, le=20)], Annotated[float, Field(ge=-20, le=20)]],
                     BeforeValidator(_offset)]


class XrayProtocol(ScanProtocol):
    """Radiography console settings. Units are in the names; ranges are those of a general DR room."""

    exam: ExamId
    kvp: float = Field(ge=40, le=150, description="Tube potential (kV).")
    mas: float = Field(ge=0.1, le=800, description="Tube current–time product (mAs); AEC overrides it.")
    sid_cm: float = Field(ge=80, le=200, description="Source-to-image distance (cm).")
    grid: bool = Field(description="Anti-scatter grid in place.")
    grid_ratio: float = Field(default=12.0, ge=5, le=16)
    grid_focus_cm: float = Field(default=110.0, ge=70, le=200, description="Grid focusing distance (cm).")
    field_cm: FieldCm = Field(description="Collimated field at the detector, width×height (cm).")
    centre_offset_cm: OffsetCm = Field(default=(0.0, 0.0),
                                       description="Central ray off the centring point: (towards patient left, "
                                                   "towards head) in cm.")
    rotation_deg: float = Field(default=0.0, ge=-45, le=45, description="Patient rotation about the long axis.")
    tube_angle_deg: float = Field(default=0.0, ge=-40, le=40, description="Cranio-caudal tube angle (+ cranial).")
    added_al_mm: float = Field(default=0.0, ge=0, le=5)
    added_cu_mm: float = Field(default=0.0, ge=0, le=0.5)
    focal_spot_mm: float = Field(default=1.2, ge=0.3, le=2.0)
    aec: bool = Field(default=False, description="Automatic exposure control (terminates at the target dose).")
    aec_chambers: Literal["centre", "outer", "all"] = Field(
        default="centre",
        description="AEC ionisation chambers: centre (spine/mediastinum), the two outer (lungs), or all.")
    side_marker: Literal["L", "R", "none"] = "L"
    edge_enhancement: float = Field(default=0.6, ge=0, le=2)
    photometric: Literal["MONOCHROME1", "MONOCHROME2"] = "MONOCHROME2"
    pixel_mm: float | None = Field(default=None, ge=0.1, le=2.0, description="Detector pixel pitch; exam default.")

    @model_validator(mode="after")
    def _field_fits_detector(self) -> XrayProtocol:
        exam = EXAMS[self.exam]
        if self.field_cm[0] > exam.detector_cm[0] + 1e-6 or self.field_cm[1] > exam.detector_cm[1] + 1e-6:
            raise ValueError(f"field {self.field_cm[0]:g}×{self.field_cm[1]:g} cm is larger than the "
                             f"{exam.detector_cm[0]:g}×{exam.detector_cm[1]:g} cm detector used for {exam.name}")
        return self


def preset_for(exam: Exam) -> XrayProtocol:
    return XrayProtocol(exam=exam.exam_id, kvp=exam.kvp, mas=exam.mas, sid_cm=exam.sid_cm, grid=exam.grid,  # type: ignore[arg-type]
                        field_cm=exam.field_cm, grid_focus_cm=exam.sid_cm)


# ----------------------------------------------------------------------------- caches

_PATHS = LRU(6)
_POINTS = LRU(8)
_key = cache_key


def _phantom(patient: PatientRequest, exam: Exam, rotation_deg: float, voxel_mm: float) -> Phantom:
    return phantom_for(patient, exam.region, voxel_mm, rotation_deg=rotation_deg, what=f"position for {exam.name}:")


# ----------------------------------------------------------------------------- geometry

@dataclass(frozen=True)
class Setup:
    """Where tube, patient and detector are for one exposure."""

    detector: FlatPanelGeometry  # the whole panel
    field: FlatPanelGeometry  # the collimated part that is cast
    field_origin: tuple[int, int]  # (row, col) of the field's first pixel on the panel
    centring_point_mm: np.ndarray  # where the central ray should go
    aim_point_mm: np.ndarray  # where it went
    sod_mm: float  # source to centring point
    ssd_mm: float  # source to skin along the central ray
    magnification: float
    air_gap_mm: float


def _unit(v: np.ndarray) -> np.ndarray:
    return v / float(np.linalg.norm(v))


def _voxel_centres(phantom: Phantom, mask: np.ndarray) -> np.ndarray:
    """(n, 3) LPS positions of the voxels in ``mask``."""
    k, j, i = np.nonzero(mask)
    dz, dy, dx = phantom.voxel_mm
    ox, oy, oz = phantom.origin_mm
    return np.stack([ox + i * dx, oy + j * dy, oz + k * dz], axis=1)


def _anatomy_mask(phantom: Phantom, names: tuple[str, ...]) -> np.ndarray:
    labels = [label for label, name in phantom.label_names.items() if name in names]
    return np.isin(phantom.labels, labels)


@dataclass(frozen=True)
class _Points:
    """Sub-sampled voxel centres of the body and of the exam's anatomy: enough for placing and projecting."""

    body: np.ndarray  # (n, 3) LPS mm
    anatomy: np.ndarray  # (m, 3) LPS mm
    stride: int
    voxel_mm: float


def _points(phantom_key: str, phantom: Phantom, exam: Exam) -> _Points:
    def make() -> _Points:
        stride = max(1, int(round(4.0 / max(phantom.voxel_mm))))
        sub = phantom.labels[::stride, ::stride, ::stride]
        dz, dy, dx = (v * stride for v in phantom.voxel_mm)
        coarse = Phantom(phantom.phantom_id, sub, (dz, dy, dx), phantom.origin_mm, phantom.label_materials,
                         phantom.label_names)
        anatomy = _anatomy_mask(phantom, exam.anatomy)
        if not anatomy.any() and is_qa(phantom.phantom_id):
            anatomy = phantom.labels > 0  # a test object: all of it is the object of interest
        return _Points(_voxel_centres(coarse, sub > 0), _voxel_centres(phantom, anatomy), stride,
                       float(max(phantom.voxel_mm)))

    points: _Points = _POINTS.get_or(_key(phantom_key, exam.exam_id), make)
    return points


def _setup(phantom: Phantom, points: _Points, exam: Exam, protocol: XrayProtocol, pixel_mm: float) -> Setup:
    if not points.anatomy.size:
        raise ProtocolError(f"The {exam.region} of {phantom.phantom_id} has none of the anatomy a {exam.name} shows.")
    centre = points.anatomy.mean(axis=0)
    d0 = np.asarray(exam.direction, float)
    head = np.array([0.0, 0.0, 1.0])
    # the operator's centring error, in the detector plane: (towards patient left, towards head)
    left = np.array([1.0, 0.0, 0.0]) if abs(d0[0]) < 0.5 else np.array([0.0, -1.0, 0.0])
    aim = centre + 10.0 * protocol.centre_offset_cm[0] * left + 10.0 * protocol.centre_offset_cm[1] * head
    body = points.body
    depth = (body - aim) @ d0
    detector_plane = aim + d0 * (float(depth.max()) + DETECTOR_GAP_MM)
    angle = np.deg2rad(protocol.tube_angle_deg)
    d = _unit(np.cos(angle) * d0 + np.sin(angle) * head)  # + cranial: the beam leans towards the head
    sid = 10.0 * protocol.sid_cm
    # the detector stays in its bucky (perpendicular to d0); the tube moves along the angled central ray
    hit = aim + d * (float((detector_plane - aim) @ d0) / float(d @ d0))
    source = hit - d * sid / float(d @ d0)
    up = head if exam.image_up == "head" else -head
    v = -up  # rows run downwards on the image
    u = np.cross(v, d0) if exam.view_position in ("PA", "AP") else -np.cross(d0, v)
    u = _unit(u - (u @ d0) * d0)
    if exam.view_position in ("PA", "AP") and u[0] < 0 and exam.image_up == "head":
        u = -u  # frontal views are displayed as if facing the patient: patient's left on the image right
    rows = int(round(10.0 * exam.detector_cm[1] / pixel_mm))
    cols = int(round(10.0 * exam.detector_cm[0] / pixel_mm))
    panel = FlatPanelGeometry(tuple(source), tuple(hit), tuple(u), tuple(v), (pixel_mm, pixel_mm), (rows, cols))
    # collimated field, centred on the central ray at the detector, clipped to the panel
    f_rows = min(rows, int(round(10.0 * protocol.field_cm[1] / pixel_mm)))
    f_cols = min(cols, int(round(10.0 * protocol.field_cm[0] / pixel_mm)))
    r0, c0 = (rows - f_rows) // 2, (cols - f_cols) // 2
    field_centre = hit + u * ((c0 + (f_cols - 1) / 2) - (cols - 1) / 2) * pixel_mm + \
        v * ((r0 + (f_rows - 1) / 2) - (rows - 1) / 2) * pixel_mm
    field = FlatPanelGeometry(tuple(source), tuple(field_centre), tuple(u), tuple(v), (pixel_mm, pixel_mm),
                              (f_rows, f_cols))
    sod = float(np.linalg.norm(aim - source))
    entrance = (body - source) @ d
    lateral = np.linalg.norm((body - source) - np.outer(entrance, d), axis=1)
    near_axis = lateral < max(10.0, 2 * points.stride * points.voxel_mm)
    ssd = float(entrance[near_axis].min()) if near_axis.any() else sod
    return Setup(panel, field, (r0, c0), centre, aim, sod, ssd, float(sid / (d @ d0)) / sod,
                 float(DETECTOR_GAP_MM))


# ----------------------------------------------------------------------------- physics helpers

def _material_table(phantom: Phantom) -> tuple[list[str], np.ndarray]:
    ids = sorted({m for label, m in phantom.label_materials.items() if label != 0 and m != "air"})
    lut = material_lut(phantom.label_materials, ids)
    return ids, material_volume(phantom.labels, lut)


def _paths(phantom_key: str, phantom: Phantom, field: FlatPanelGeometry) -> tuple[list[str], np.ndarray]:
    key = _key(phantom_key, field.source_mm, field.detector_centre_mm, field.u, field.v, field.pitch_mm, field.shape)

    def make() -> tuple[list[str], np.ndarray]:
        ids, volume = _material_table(phantom)
        return ids, path_lengths(volume, phantom.voxel_mm, phantom.origin_mm, field, len(ids))

    result: tuple[list[str], np.ndarray] = _PATHS.get_or(key, make)
    return result


def _detector_signal_per_ugy(pixel_mm: float, scintillator: Scintillator) -> float:
    """Absorbed keV per pixel per µGy of air kerma at RQA5: the EI calibration (IEC 62494-1)."""
    spectrum = tube_spectrum(RQA5["kvp"], added_al_mm=RQA5["added_al_mm"])
    kerma = air_kerma_ugy_per_mas(spectrum, 1000.0)
    eta = scintillator.absorption_efficiency(spectrum.energies_kev)
    return float(pixel_mm**2 * np.sum(spectrum.fluence / kerma * eta * spectrum.energies_kev))


def _backscatter_factor(hvl_mm: float, field_cm2: float) -> float:
    """Backscatter factor for water: rises with HVL and field size (IAEA TRS-457, Table; approximate)."""
    base = float(np.interp(hvl_mm, [1.5, 2.5, 3.0, 4.0, 5.0, 8.0], [1.24, 1.30, 1.33, 1.37, 1.40, 1.46]))
    size = float(np.interp(field_cm2, [100.0, 400.0, 900.0], [0.93, 0.98, 1.0]))
    return 1.0 + (base - 1.0) * size


def _process(signal: np.ndarray, exposed: np.ndarray, voi: np.ndarray, pixel_mm: float,
             edge: float) -> tuple[np.ndarray, float, float]:
    """Log + histogram LUT + unsharp mask → 12-bit For-Presentation values (high = attenuating = bright)."""
    out = np.zeros(signal.shape, dtype=np.float32)
    floor = max(float(np.percentile(signal[exposed], 0.5)) * 0.05, 1e-3) if exposed.any() else 1.0
    log = -np.log(np.maximum(signal, floor))
    ref = voi if voi.sum() > 50 else exposed
    lo, hi = (np.percentile(log[ref], [1.0, 99.5]) if ref.any() else (0.0, 1.0))
    span = max(float(hi - lo), 1e-3)
    lo_ext, hi_ext = lo - 0.25 * span, hi + 0.15 * span
    scaled = (log - lo_ext) / (hi_ext - lo_ext)
    if edge > 0:
        blurred = ndimage.gaussian_filter(scaled, sigma=3.0 / pixel_mm)
        scaled = scaled + edge * (scaled - blurred)
    out[exposed] = np.clip(scaled[exposed], 0.0, 1.0) * OUTPUT_MAX
    out[~exposed] = OUTPUT_MAX  # unexposed (collimated) area is clear on the image
    centre = OUTPUT_MAX * 0.5 * ((lo - lo_ext) + (hi - lo_ext)) / (hi_ext - lo_ext)
    width = OUTPUT_MAX * (hi - lo) / (hi_ext - lo_ext) * 1.1
    return np.rint(out).astype(np.uint16), float(centre), float(width)


def _project_points(points: np.ndarray, panel: FlatPanelGeometry) -> np.ndarray:
    """(n, 2) (row, col) panel coordinates of LPS points, by central projection from the source."""
    s = np.asarray(panel.source_mm, float)
    c = np.asarray(panel.detector_centre_mm, float)
    u, v = np.asarray(panel.u, float), np.asarray(panel.v, float)
    n = panel.normal
    rays = points - s
    t = ((c - s) @ n) / (rays @ n)
    hits = s + rays * t[:, None] - c
    rows, cols = panel.shape
    return np.stack([hits @ v / panel.pitch_mm[0] + (rows - 1) / 2, hits @ u / panel.pitch_mm[1] + (cols - 1) / 2],
                    axis=1)


def _projected_mask(points: np.ndarray, spacing_mm: float, panel: FlatPanelGeometry) -> np.ndarray:
    """Silhouette on the panel of a structure given by its voxel centres (spaced ``spacing_mm``)."""
    rows, cols = panel.shape
    out = np.zeros((rows, cols), dtype=bool)
    if not len(points):
        return out
    rc = np.rint(_project_points(points, panel)).astype(int)
    inside = (rc[:, 0] >= 0) & (rc[:, 0] < rows) & (rc[:, 1] >= 0) & (rc[:, 1] < cols)
    out[rc[inside, 0], rc[inside, 1]] = True
    spread = max(1, int(np.ceil(spacing_mm / panel.pitch_mm[0])))
    return ndimage.binary_closing(ndimage.binary_dilation(out, iterations=spread), iterations=spread)


def _collimation(setup: Setup, anatomy: np.ndarray) -> tuple[float, float]:
    """(fraction of the anatomy outside the field, field area ÷ the area the anatomy needs).

    The needed field is centred where the central ray is and just reaches the farthest anatomy with a 2 cm
    margin each side; the ratio is 0 when anatomy is clipped (collimation is then judged by the clipping).
    """
    r0, c0 = setup.field_origin
    fr, fc = setup.field.shape
    total = anatomy.sum()
    clipped = float(1.0 - anatomy[r0:r0 + fr, c0:c0 + fc].sum() / total) if total else 0.0
    rows_any = np.nonzero(anatomy.any(axis=1))[0]
    cols_any = np.nonzero(anatomy.any(axis=0))[0]
    if not (rows_any.size and cols_any.size) or clipped > 0.01:
        return clipped, 0.0
    pitch = setup.detector.pitch_mm[0]
    centre_r, centre_c = r0 + (fr - 1) / 2, c0 + (fc - 1) / 2
    half_h = max(abs(rows_any[0] - centre_r), abs(rows_any[-1] - centre_r)) * pitch + 20.0
    half_w = max(abs(cols_any[0] - centre_c), abs(cols_any[-1] - centre_c)) * pitch + 20.0
    return clipped, float(fr * fc * pitch**2 / (4.0 * half_h * half_w))


# ----------------------------------------------------------------------------- scanner

@dataclass
class _Exposure:
    """Intermediate results shared by the image, dose and feedback steps."""

    signal: np.ndarray
    noise_free: np.ndarray
    exposed: np.ndarray
    voi: np.ndarray
    mas: float
    k_det_ugy: float
    grid_cutoff: float
    bone_contrast: float
    scatter_fraction: float


class XrayScanner(Scanner):
    modality = "xray"
    protocol_model = XrayProtocol

    def presets(self) -> Mapping[str, ScanProtocol]:
        return {exam_id: preset_for(exam) for exam_id, exam in EXAMS.items()}

    def acquire(self, patient: PatientRequest, protocol: ScanProtocol, *,
                progress: Progress | None = None) -> Acquisition:
        if not isinstance(protocol, XrayProtocol):
            raise ProtocolError("An X-ray acquisition needs an XrayProtocol.")
        report = progress or (lambda fraction, message: None)
        exam = EXAMS[protocol.exam]
        pixel_mm = protocol.pixel_mm or exam.pixel_mm
        rotation = exam.base_rotation_deg + protocol.rotation_deg
        report(0.05, "positioning the patient")
        phantom = _phantom(patient, exam, rotation, exam.voxel_mm)
        phantom_key = _key(patient.model_dump(), exam.region, rotation, exam.voxel_mm)
        points = _points(phantom_key, phantom, exam)
        setup = _setup(phantom, points, exam, protocol, pixel_mm)
        report(0.25, "tracing rays")
        ids, paths = _paths(phantom_key, phantom, setup.field)
        report(0.65, "exposing")
        anatomy_on_panel = _projected_mask(points.anatomy, points.voxel_mm, setup.detector)
        exposure = self._expose(protocol, exam, setup, ids, paths, pixel_mm, patient, anatomy_on_panel)
        report(0.85, "processing the image")
        image, centre, width = _process(exposure.signal, exposure.exposed, exposure.voi, pixel_mm,
                                        protocol.edge_enhancement)
        if protocol.photometric == "MONOCHROME1":
            image = (OUTPUT_MAX - image).astype(np.uint16)
            centre = OUTPUT_MAX - centre
        dose = self._dose(protocol, exam, setup, exposure)
        truth = {f"{t.lesion_id}-{t.instance}": _projected_mask(_voxel_centres(phantom, t.mask),
                                                                   points.voxel_mm, setup.detector)[None]
                 for t in phantom.lesions}
        quality = {"relative_noise": self._relative_noise(exposure), "bone_soft_tissue_contrast":
                   exposure.bone_contrast, "detector_air_kerma_ugy": exposure.k_det_ugy,
                   "magnification": setup.magnification, "grid_cutoff_fraction": exposure.grid_cutoff,
                   "scatter_fraction": exposure.scatter_fraction,
                   "mas_used": exposure.mas}
        clipped, ratio = _collimation(setup, anatomy_on_panel)
        quality.update({"anatomy_clipped_fraction": clipped, "field_to_anatomy_area": ratio})
        feedback = self._feedback(protocol, exam, setup, exposure, dose, anatomy_on_panel)
        report(1.0, "done")
        spectrum = tube_spectrum(protocol.kvp, added_al_mm=protocol.added_al_mm, added_cu_mm=protocol.added_cu_mm)
        return Acquisition(
            modality=self.modality, patient=patient, protocol=protocol, images=image[None],
            pixel_spacing_mm=(pixel_mm, pixel_mm), truth_masks=truth, dose=dose, quality=quality, feedback=feedback,
            display={"photometric": protocol.photometric, "window_centre": centre, "window_width": width,
                     "bits_stored": OUTPUT_BITS},
            dicom=self._dicom_attributes(protocol, exam, setup, exposure, spectrum, pixel_mm))

    # -- exposure ----------------------------------------------------------------------------------------
    def _expose(self, protocol: XrayProtocol, exam: Exam, setup: Setup, ids: list[str], paths: np.ndarray,
                pixel_mm: float, patient: PatientRequest, anatomy_on_panel: np.ndarray) -> _Exposure:
        spectrum = tube_spectrum(protocol.kvp, added_al_mm=protocol.added_al_mm, added_cu_mm=protocol.added_cu_mm)
        e = spectrum.energies_kev
        mu = np.stack([material_db.mu_linear_cm(m, e) for m in ids]) if ids else np.zeros((0, e.size))
        maps = geometry_maps(setup.field)
        scintillator = Scintillator()
        primary = render_primary(paths, mu.astype(np.float32), spectrum, setup.field, 1.0, scintillator=scintillator,
                                 maps=maps)
        per_mas = primary.absorbed_energy_kev.astype(np.float64)
        weights = spectrum.fluence * e * scintillator.absorption_efficiency(e)
        thickness = water_equivalent_thickness_cm(paths, mu, material_db.mu_linear_cm("water", e), weights)
        scatter = scatter_signal(per_mas, thickness, pixel_mm, protocol.kvp, air_gap_mm=setup.air_gap_mm)
        cutoff = 0.0
        if protocol.grid:
            grid = AntiScatterGrid(ratio=protocol.grid_ratio, focus_distance_mm=10.0 * protocol.grid_focus_cm,
                                   strips_along="v")
            tp_map = grid_primary_transmission(setup.field, grid)
            cutoff = float(1.0 - np.median(tp_map) / grid.tp)
            per_mas = per_mas * tp_map
            scatter = scatter * grid.ts
        total_per_mas = per_mas + scatter
        # detector regions: anatomy (value of interest) inside the field
        panel_voi = anatomy_on_panel
        r0, c0 = setup.field_origin
        fr, fc = setup.field.shape
        voi = panel_voi[r0:r0 + fr, c0:c0 + fc]
        body_in_field = thickness > 0.5
        voi = voi & body_in_field
        per_ugy = _detector_signal_per_ugy(pixel_mm, scintillator)
        mas = protocol.mas
        if protocol.aec:
            chamber = self._aec_chambers(fr, fc, protocol.aec_chambers) & body_in_field
            mean_per_mas = float(total_per_mas[chamber].mean()) if chamber.any() else float(total_per_mas.mean())
            mas = float(np.clip(exam.ei_target / 100.0 * per_ugy / max(mean_per_mas, 1e-9), 0.1, 800.0))
        mean = total_per_mas * mas
        eq = primary.energy_per_quantum_kev
        rng = np.random.default_rng(int(_key(patient.model_dump(), protocol.model_dump())[:12], 16))
        detected = detect(mean, eq, pixel_mm, rng)
        noise_free = detect(mean, eq, pixel_mm, rng, noise=False)
        magnification = setup.magnification
        detected = focal_spot_blur(detected, pixel_mm, protocol.focal_spot_mm, magnification)
        noise_free = focal_spot_blur(noise_free, pixel_mm, protocol.focal_spot_mm, magnification)
        region = voi if voi.sum() > 50 else body_in_field
        k_det = float(np.median(mean[region]) / per_ugy) if region.any() else 0.0
        scatter_fraction = float(scatter[region].sum() / total_per_mas[region].sum()) if region.any() else 0.0
        # place the field on the whole panel
        rows, cols = setup.detector.shape
        signal = np.zeros((rows, cols), dtype=np.float32)
        clean = np.zeros((rows, cols), dtype=np.float32)
        exposed = np.zeros((rows, cols), dtype=bool)
        voi_panel = np.zeros((rows, cols), dtype=bool)
        signal[r0:r0 + fr, c0:c0 + fc] = np.maximum(detected, 0.0)
        clean[r0:r0 + fr, c0:c0 + fc] = noise_free
        exposed[r0:r0 + fr, c0:c0 + fc] = True
        voi_panel[r0:r0 + fr, c0:c0 + fc] = region
        return _Exposure(signal, clean, exposed, voi_panel, mas, k_det, cutoff,
                         self._bone_contrast(ids, paths, primary.absorbed_energy_kev), scatter_fraction)

    @staticmethod
    def _aec_chambers(rows: int, cols: int, which: str) -> np.ndarray:
        """The three-chamber AEC layout of a wall or table bucky: one central chamber and two upper-outer ones
        (over the lung fields for a chest PA), each about a sixth of the field across."""
        mask = np.zeros((rows, cols), dtype=bool)
        h, w = max(rows // 6, 2), max(cols // 6, 2)
        centres = {"centre": [(rows // 2, cols // 2)],
                   "outer": [(rows * 2 // 5, cols // 4), (rows * 2 // 5, cols * 3 // 4)]}
        centres["all"] = centres["centre"] + centres["outer"]
        for r, c in centres[which]:
            mask[max(r - h // 2, 0): r + h // 2, max(c - w // 2, 0): c + w // 2] = True
        return mask

    @staticmethod
    def _bone_contrast(ids: list[str], paths: np.ndarray, primary: np.ndarray) -> float:
        """Subject contrast ln(S_soft/S_bone) between rays through bone and neighbouring rays through soft tissue."""
        bone = [i for i, m in enumerate(ids) if material_db.get_material(m).category == "bone"]
        if not bone:
            return 0.0
        bone_path = paths[bone].sum(axis=0)
        body = paths.sum(axis=0)
        with_bone = (bone_path > 0.5) & (primary > 0)
        soft = (bone_path == 0) & (body > 0.5 * float(np.median(body[with_bone])) if with_bone.any() else False) \
            & (primary > 0)
        if not with_bone.any() or not np.any(soft):
            return 0.0
        return float(np.log(np.median(primary[soft]) / np.median(primary[with_bone])))

    @staticmethod
    def _relative_noise(exposure: _Exposure) -> float:
        region = exposure.voi if exposure.voi.sum() > 50 else exposure.exposed
        residual = (exposure.signal - exposure.noise_free)[region]
        mean = float(exposure.noise_free[region].mean()) if region.any() else 0.0
        return float(residual.std() / mean) if mean > 0 else 0.0

    # -- dose ----------------------------------------------------------------------------------------------
    def _dose(self, protocol: XrayProtocol, exam: Exam, setup: Setup, exposure: _Exposure) -> dict[str, float]:
        spectrum = tube_spectrum(protocol.kvp, added_al_mm=protocol.added_al_mm, added_cu_mm=protocol.added_cu_mm)
        k_incident_mgy = air_kerma_ugy_per_mas(spectrum, setup.ssd_mm) * exposure.mas / 1000.0
        field_cm2 = protocol.field_cm[0] * protocol.field_cm[1]
        bsf = _backscatter_factor(hvl_mm_al(spectrum), field_cm2 * (setup.ssd_mm / (10 * protocol.sid_cm)) ** 2)
        k_detector_plane_mgy = air_kerma_ugy_per_mas(spectrum, 10.0 * protocol.sid_cm) * exposure.mas / 1000.0
        dap = k_detector_plane_mgy / 1000.0 * field_cm2  # Gy·cm², invariant with distance
        ei = 100.0 * exposure.k_det_ugy
        dose = {"ei": ei, "ei_target": exam.ei_target,
                "di": 10.0 * np.log10(max(ei, 1e-6) / exam.ei_target),
                "incident_air_kerma_mgy": k_incident_mgy, "esak_mgy": k_incident_mgy * bsf, "dap_gycm2": dap,
                "effective_dose_msv": dap * exam.e_per_dap_msv_per_gycm2, "mas": exposure.mas,
                "hvl_mm_al": hvl_mm_al(spectrum), "backscatter_factor": bsf}
        if exam.drl_dap_gycm2:
            dose["drl_dap_gycm2"] = exam.drl_dap_gycm2
        return {k: float(v) for k, v in dose.items()}

    # -- feedback -----------------------------------------------------------------------------------------
    def _feedback(self, protocol: XrayProtocol, exam: Exam, setup: Setup, exposure: _Exposure,
                  dose: dict[str, float], anatomy: np.ndarray) -> list[FeedbackItem]:
        items: list[FeedbackItem] = []
        di = dose["di"]
        if di < -3:
            items.append(FeedbackItem("di-repeat", "error", f"DI {di:+.1f}: severely under-exposed — the image is "
                                      "too noisy to diagnose; repeat with more mAs (TG-116: DI < −3)."))
        elif di < -1:
            items.append(FeedbackItem("di-under", "warning", f"DI {di:+.1f}: under-exposed — expect visible "
                                      "quantum mottle; increase mAs (each +1 DI is about +26% mAs)."))
        elif di > 3:
            items.append(FeedbackItem("di-excessive", "error", f"DI {di:+.1f}: excessive exposure — about "
                                      f"{10 ** (di / 10):.1f}× the target dose with no gain in diagnosis."))
        elif di > 1:
            items.append(FeedbackItem("di-over", "warning", f"DI {di:+.1f}: over-exposed — reduce mAs; the "
                                      "processing hides it, the patient's dose does not."))
        else:
            items.append(FeedbackItem("di-ok", "good", f"DI {di:+.1f}: exposure on target."))
        rotation = protocol.rotation_deg
        if abs(rotation) > 5:
            side = "left" if rotation > 0 else "right"
            items.append(FeedbackItem("rotation", "warning", f"Patient rotated about {abs(rotation):.0f}° "
                                      f"(towards the {side}): the medial ends of the clavicles are not "
                                      "equidistant from the spinous processes."))
        offset = float(np.hypot(*protocol.centre_offset_cm))
        if offset > 2.0:
            items.append(FeedbackItem("centring", "warning", f"Central ray {offset:.1f} cm off the centring point "
                                      f"for a {exam.name}."))
        clipped, ratio = _collimation(setup, anatomy)
        if clipped > 0.01:
            items.append(FeedbackItem("clipped-anatomy", "error", f"{100 * clipped:.0f}% of the "
                                      f"{' / '.join(exam.anatomy[:2])} lies outside the collimated field: "
                                      "anatomy is clipped."))
        if ratio > 2.0:
            items.append(FeedbackItem("collimation-wide", "warning", f"Collimation too wide: the field is "
                                      f"{ratio:.1f}× the area the anatomy needs (with a 2 cm margin); "
                                      "collimate to the region of interest."))
        if protocol.grid and exposure.grid_cutoff > 0.1:
            items.append(FeedbackItem("grid-cutoff", "warning", f"Grid cut-off: {100 * exposure.grid_cutoff:.0f}% of "
                                      "the primary beam lost — SID outside the grid's focal range or the tube is "
                                      "angled across the grid lines."))
        if not protocol.grid and exam.grid:
            items.append(FeedbackItem("no-grid", "info", "No grid for a body part this thick: scatter lowers "
                                      "contrast."))
        if protocol.side_marker == "none":
            items.append(FeedbackItem("no-marker", "error", "No side marker: an image without an anatomical side "
                                      "marker must not be reported."))
        drl = dose.get("drl_dap_gycm2")
        if drl and dose["dap_gycm2"] > drl:
            items.append(FeedbackItem("above-drl", "warning", f"DAP {dose['dap_gycm2']:.2f} Gy·cm² is above the "
                                      f"national DRL of {drl:g} Gy·cm²."))
        return items

    # -- DICOM attributes ------------------------------------------------------------------------------
    def _dicom_attributes(self, protocol: XrayProtocol, exam: Exam, setup: Setup, exposure: _Exposure,
                          spectrum: Any, pixel_mm: float) -> dict[str, Any]:
        rows, cols = setup.detector.shape
        exposure_time_ms = 100.0 if exposure.mas >= 10 else 20.0
        u = np.asarray(setup.detector.u)
        v = np.asarray(setup.detector.v)

        def letter(vec: np.ndarray) -> str:
            axis = int(np.argmax(np.abs(vec)))
            positive = vec[axis] > 0
            return ("L", "P", "H")[axis] if positive else ("R", "A", "F")[axis]

        return {
            "exam_id": exam.exam_id, "exam_name": exam.name, "body_part": exam.body_part,
            "anatomic_region": exam.anatomic_region, "view_position": exam.view_position, "image_laterality": "U",
            "patient_orientation": (letter(u), letter(v)), "patient_position": exam.patient_position,
            "kvp": protocol.kvp, "tube_current_ma": exposure.mas / (exposure_time_ms / 1000.0),
            "exposure_time_ms": exposure_time_ms, "mas": exposure.mas, "sid_mm": 10.0 * protocol.sid_cm,
            "sod_mm": setup.sod_mm, "focal_spot_mm": protocol.focal_spot_mm, "anode_target": "TUNGSTEN",
            "filter_material": "COPPER" if protocol.added_cu_mm > 0 else "ALUMINUM",
            "filter_thickness_mm": protocol.added_cu_mm if protocol.added_cu_mm > 0 else protocol.added_al_mm,
            "grid": protocol.grid, "grid_ratio": protocol.grid_ratio if protocol.grid else None,
            "grid_focus_mm": 10.0 * protocol.grid_focus_cm if protocol.grid else None,
            "field_mm": (10.0 * protocol.field_cm[0], 10.0 * protocol.field_cm[1]),
            "detector_rows": rows, "detector_cols": cols, "detector_element_mm": pixel_mm,
            "side_marker": None if protocol.side_marker == "none" else protocol.side_marker,
            "tube_angle_deg": protocol.tube_angle_deg, "aec": protocol.aec,
        }


SCANNER = register(XrayScanner())
