"""MRI scan room: sequence and parameters → a multi-slice series, with scan time, SNR, SAR and artifacts.

The physics is ``scanroom.physics.mri`` (closed-form contrast + k-space acquisition). This module turns a
console protocol into its inputs, refuses what a scanner refuses (TE ≥ TR, SAR over the first-level
limit, a matrix too fine for the FOV), and says what the trainee should notice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from scanroom.physics import mri
from scanroom.physics.phantom import Phantom
from scanroom.scanner.base import (
    Acquisition,
    FeedbackItem,
    PatientRequest,
    Progress,
    ProtocolError,
    Scanner,
    ScanProtocol,
)
from scanroom.scanner.phantoms import cache_key as _key
from scanroom.scanner.phantoms import phantom_for
from scanroom.scanner.registry import register

SequenceId = Literal["t1-se", "t2-tse", "pd-tse", "flair", "stir", "t1-gre", "t2star-gre", "bssfp", "dwi"]
Region = Literal["head", "neck", "chest", "abdomen", "pelvis", "knee"]

SEQUENCE_NAMES = {"t1-se": "T1 SE", "t2-tse": "T2 TSE", "pd-tse": "PD TSE", "flair": "T2 FLAIR",
                  "stir": "STIR", "t1-gre": "T1 GRE", "t2star-gre": "T2* GRE", "bssfp": "bSSFP", "dwi": "DWI"}
# DICOM ScanningSequence / SequenceVariant / ScanOptions (PS3.3 C.8.3.1)
DICOM_SEQUENCE = {
    "se": ("SE", "SK", ""), "tse": ("SE", "SK", ""), "ir": ("SE\\IR", "SK\\MP", ""), "gre": ("GR", "SP", ""),
    "bssfp": ("GR", "SS", ""), "dwi": ("EP\\SE", "SK", ""),
}
REGION_CODES = {"head": ("HEAD", ("69536005", "SCT", "Head")), "neck": ("NECK", ("45048000", "SCT", "Neck")),
                "chest": ("CHEST", ("816094009", "SCT", "Chest")),
                "abdomen": ("ABDOMEN", ("818981001", "SCT", "Abdomen")),
                "pelvis": ("PELVIS", ("816092008", "SCT", "Pelvis")), "knee": ("KNEE", ("72696002", "SCT", "Knee"))}
COIL_FOR_REGION = {"head": "head-8", "neck": "head-8", "knee": "surface"}
VOXEL_MM = 2.0  # the patient is resampled onto the slice grid with partial volume; 2 mm keeps it quick


class MriProtocol(ScanProtocol):
    """MR console parameters (units in the names). Defaults are the sequence's textbook protocol at 1.5 T."""

    sequence: SequenceId
    region: Region = "head"
    b0_t: float = Field(default=1.5, ge=0.2, le=7.0, description="Main field (T).")
    tr_ms: float = Field(ge=2, le=20000)
    te_ms: float = Field(ge=1, le=500)
    ti_ms: float | None = Field(default=None, ge=10, le=5000)
    flip_deg: float = Field(default=90.0, ge=1, le=180)
    etl: int = Field(default=1, ge=1, le=64, description="Echo-train length (turbo factor).")
    fov_mm: float = Field(default=240.0, ge=50, le=500)
    matrix: int = Field(default=256, ge=32, le=1024, description="Frequency-encoding matrix.")
    matrix_phase: int | None = Field(default=None, ge=32, le=1024, description="Phase matrix (default = matrix).")
    slice_mm: float = Field(default=5.0, ge=0.5, le=20)
    gap_mm: float = Field(default=1.0, ge=0, le=20)
    slices: int = Field(default=12, ge=1, le=64)
    nex: int = Field(default=1, ge=1, le=16)
    bw_hz_px: float = Field(default=200.0, ge=50, le=2000)
    phase_dir: Literal["RL", "AP", "SI"] | None = None
    orientation: Literal["axial", "sagittal", "coronal"] = "axial"
    partial_fourier: float = Field(default=1.0, ge=0.5, le=1.0)
    parallel_factor: int = Field(default=1, ge=1, le=4)
    b_value: float = Field(default=1000.0, ge=0, le=3000, description="DWI b-value (s/mm²).")
    fat_sat: bool = False
    patient_weight_kg: float = Field(default=75.0, ge=20, le=250)
    motion: bool = Field(default=False, description="Breathing/swallowing motion during the scan.")
    offset_mm: float = Field(default=0.0, ge=-150, le=150,
                             description="Move the stack along the slice normal (planned on the localiser).")
    susceptibility: bool = Field(default=False, description="Model off-resonance from air/tissue interfaces.")

    @model_validator(mode="after")
    def _timing_is_possible(self) -> MriProtocol:
        if self.te_ms >= self.tr_ms:
            raise ValueError(f"TE ({self.te_ms:g} ms) must be shorter than TR ({self.tr_ms:g} ms)")
        if self.sequence in ("flair", "stir") and self.ti_ms is None:
            raise ValueError(f"{SEQUENCE_NAMES[self.sequence]} needs an inversion time ti_ms")
        if self.ti_ms is not None and self.ti_ms >= self.tr_ms:
            raise ValueError(f"TI ({self.ti_ms:g} ms) must be shorter than TR ({self.tr_ms:g} ms)")
        return self


def preset_for(sequence_id: str, field_t: float = 1.5, region: str = "head") -> MriProtocol:
    p = mri.default_params(sequence_id, field_t)
    # single-shot EPI diffusion is acquired at a coarse matrix (the echo train must fit around TE)
    matrix = 128 if p.family == "dwi" else 256
    return MriProtocol(sequence=sequence_id, region=region, b0_t=field_t, tr_ms=p.tr_ms, te_ms=p.te_ms,  # type: ignore[arg-type]
                       ti_ms=p.ti_ms, flip_deg=p.flip_deg, etl=p.etl, bw_hz_px=p.bandwidth_hz_px, matrix=matrix,
                       b_value=p.b_value_s_mm2 or 1000.0, fat_sat=p.fat_sat)


def sequence_params(protocol: MriProtocol) -> mri.SequenceParams:
    base = mri.default_params(protocol.sequence, protocol.b0_t)
    return replace(base, tr_ms=protocol.tr_ms, te_ms=protocol.te_ms, ti_ms=protocol.ti_ms, flip_deg=protocol.flip_deg,
                   etl=protocol.etl if base.family in ("tse", "ir") else 1, bandwidth_hz_px=protocol.bw_hz_px,
                   b_value_s_mm2=protocol.b_value if base.family == "dwi" else 0.0,
                   fat_sat=protocol.fat_sat or base.fat_sat)


def slice_geometry(protocol: MriProtocol, centre: tuple[float, float, float] | None) -> mri.SliceGeometry:
    return mri.SliceGeometry(orientation=protocol.orientation, fov_read_mm=protocol.fov_mm,
                             fov_phase_mm=protocol.fov_mm, matrix_read=protocol.matrix,
                             matrix_phase=protocol.matrix_phase or protocol.matrix, phase_dir=protocol.phase_dir,
                             slice_thickness_mm=protocol.slice_mm, slice_gap_mm=protocol.gap_mm,
                             n_slices=protocol.slices, center_mm=centre)


def acquisition_params(protocol: MriProtocol, seed: int) -> mri.AcquisitionParams:
    return mri.AcquisitionParams(field_t=protocol.b0_t, nex=protocol.nex, partial_fourier=protocol.partial_fourier,
                                 parallel_factor=protocol.parallel_factor,
                                 coil=COIL_FOR_REGION.get(protocol.region, "body"), seed=seed,
                                 normalize_intensity=True)  # prescan normalise, as consoles do by default


def timing_and_sar(protocol: MriProtocol) -> dict[str, Any]:
    """Scan time, SNR and SAR without simulating the image: the console updates these as the trainee types."""
    seq = sequence_params(protocol)
    geometry = slice_geometry(protocol, None)
    acq = acquisition_params(protocol, 0)
    try:
        mri.validate_sequence(seq)
        mri.validate_acquisition(seq, geometry, acq)
        timing = mri.scan_timing(seq, geometry, acq)
        sar = mri.sar_estimate(mri.pulses_for_sequence(seq), seq.tr_ms, protocol.b0_t, protocol.patient_weight_kg,
                               timing.slices_per_tr, timing.scan_time_s,
                               region="head" if protocol.region == "head" else "body")
    except ValueError as exc:
        raise ProtocolError(str(exc)) from None
    # readout gradient G = BW·N/(γ·FOV); ramped in 0.2 ms (a typical rise time) for the PNS estimate
    readout_mt_m = 1000.0 * protocol.bw_hz_px * protocol.matrix / (42.577478e6 * protocol.fov_mm / 1000.0)
    rise_ms = 0.2
    pns = mri.pns_check(readout_mt_m / 1000.0 / (rise_ms / 1000.0), rise_ms)
    acoustic = mri.acoustic_noise_db(protocol.b0_t, readout_mt_m)
    return {"scan_time_s": timing.scan_time_s, "snr": mri.snr_water(seq, geometry, acq), "sar_wkg": sar.whole_body_w_kg,
            "dbdt_t_s": pns.db_dt_t_s, "pns_mode": pns.mode, "acoustic_db": acoustic,
            "sar_head_wkg": sar.head_w_kg, "sar_mode": sar.mode, "sar_refused": sar.refused, "sar_message": sar.message,
            "slices_per_tr": timing.slices_per_tr, "packages": timing.packages}


def _phantom(patient: PatientRequest, region: str) -> Phantom:
    return phantom_for(patient, region, VOXEL_MM)


class MriScanner(Scanner):
    modality = "mri"
    protocol_model = MriProtocol

    def presets(self) -> Mapping[str, ScanProtocol]:
        return {sequence_id: preset_for(sequence_id) for sequence_id in SEQUENCE_NAMES}

    def acquire(self, patient: PatientRequest, protocol: ScanProtocol, *,
                progress: Progress | None = None) -> Acquisition:
        if not isinstance(protocol, MriProtocol):
            raise ProtocolError("An MRI acquisition needs an MriProtocol.")
        report = progress or (lambda fraction, message: None)
        figures = timing_and_sar(protocol)
        if figures["sar_refused"]:
            raise ProtocolError(f"SAR limit: {figures['sar_message']} Lengthen TR, lower the flip angle or the "
                                "echo-train length, or scan fewer slices per TR.")
        report(0.1, "positioning the patient")
        phantom = _phantom(patient, protocol.region)
        centre = self._centre(phantom, protocol)
        seq = sequence_params(protocol)
        geometry = slice_geometry(protocol, centre)
        seed = int(_key(patient.model_dump(), protocol.model_dump())[:8], 16)
        artifacts = mri.ArtifactSpec(chemical_shift=True, susceptibility=protocol.susceptibility,
                                     motion=mri.MotionSpec(amplitude_mm=6.0, period_s=4.0, axis="read")
                                     if protocol.motion else None)
        report(0.3, "acquiring k-space")
        field_map = None
        if protocol.susceptibility:
            field_map = mri.susceptibility_field(phantom, mri.tissue_table(phantom.label_materials, protocol.b0_t))
        try:
            result = mri.acquire(phantom, seq, geometry, acquisition_params(protocol, seed), artifacts,
                                 field_map=field_map)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        report(0.8, "reconstructing")
        magnitude = np.abs(result.image)
        scale = 3000.0 / max(float(np.percentile(magnitude, 99.8)), 1e-9)
        images = np.clip(np.rint(magnitude * scale), 0, 65535).astype(np.uint16)
        lo, hi = np.percentile(images[images > 0], [1, 99.5]) if images.any() else (0, 1)
        truth = {}
        for lesion in phantom.lesions:
            # each inserted lesion has its own labels, named "lesion-<instance>-<type>…"
            prefix = f"lesion-{lesion.instance}-"
            label_values = [k for k, v in phantom.label_names.items() if v.startswith(prefix)]
            truth[f"{lesion.lesion_id}-{lesion.instance}"] = np.isin(result.labels, label_values)
        planes = result.planes
        first_pixel = [self._first_pixel(p, result.image.shape[1:], result.pixel_spacing_mm) for p in planes]
        quality = {"snr": float(figures["snr"]), "scan_time_s": float(result.timing.scan_time_s),
                   "g_factor_max": float(result.g_factor_max), **{k: float(v) for k, v in result.figures.items()}}
        dose = {"sar_wkg": float(figures["sar_wkg"]), "sar_head_wkg": float(figures["sar_head_wkg"]),
                "scan_time_s": float(result.timing.scan_time_s), "snr": float(figures["snr"])}
        region_body, region_code = REGION_CODES[protocol.region]
        acquisition = Acquisition(
            modality=self.modality, patient=patient, protocol=protocol, images=images,
            pixel_spacing_mm=(float(result.pixel_spacing_mm[0]), float(result.pixel_spacing_mm[1])),
            truth_masks=truth, dose=dose, quality=quality,
            feedback=self._feedback(protocol, figures, result),
            display={"window_centre": float((lo + hi) / 2), "window_width": float(max(hi - lo, 1.0))},
            dicom={
                "sequence_id": protocol.sequence, "sequence_name": SEQUENCE_NAMES[protocol.sequence],
                "scanning_sequence": DICOM_SEQUENCE[seq.family][0], "sequence_variant": DICOM_SEQUENCE[seq.family][1],
                "scan_options": "FS" if seq.fat_sat else DICOM_SEQUENCE[seq.family][2],
                "tr_ms": protocol.tr_ms, "te_ms": protocol.te_ms, "ti_ms": protocol.ti_ms,
                "flip_deg": protocol.flip_deg, "etl": seq.etl, "field_t": protocol.b0_t, "nex": protocol.nex,
                "bw_hz_px": protocol.bw_hz_px, "matrix": (geometry.matrix_read, geometry.matrix_phase),
                "phase_dir": "COL" if geometry.phase_is_vertical else "ROW",
                "percent_sampling": 100.0 * protocol.partial_fourier, "percent_phase_fov": 100.0,
                "slice_mm": protocol.slice_mm, "gap_mm": protocol.gap_mm, "orientation": protocol.orientation,
                "image_orientation": [*map(float, planes[0].row_dir), *map(float, planes[0].col_dir)],
                "slice_positions": first_pixel, "body_part": region_body, "anatomic_region": region_code,
                "coil": COIL_FOR_REGION.get(protocol.region, "body").upper(), "sar_wkg": float(figures["sar_wkg"]),
                "b_value": protocol.b_value if seq.family == "dwi" else None,
                "series_description": f"{SEQUENCE_NAMES[protocol.sequence]} {protocol.orientation}",
                "series_number": 1 + list(SEQUENCE_NAMES).index(protocol.sequence),
            },
            extras={"kspace": np.abs(result.kspace[len(planes) // 2]).astype(np.float32),
                    "labels": result.labels, "label_materials": np.array(
                        [phantom.label_materials.get(i, "") for i in range(int(result.labels.max()) + 1)])})
        report(1.0, "done")
        return acquisition

    @staticmethod
    def _centre(phantom: Phantom, protocol: MriProtocol) -> tuple[float, float, float] | None:
        """Where the stack is centred: the brain for a head scan, else the middle of the body in the region,
        moved by the planned offset along the slice normal (the localiser's job on a real console)."""
        brain = [label for label, name in phantom.label_names.items() if name in ("grey-matter", "white-matter")]
        mask = np.isin(phantom.labels, brain) if protocol.region == "head" and brain else phantom.labels > 0
        if not mask.any():
            mask = phantom.labels > 0
        if not mask.any():
            return None
        k, j, i = (np.nonzero(mask.any(axis=a))[0] for a in ((1, 2), (0, 2), (0, 1)))
        dz, dy, dx = phantom.voxel_mm
        ox, oy, oz = phantom.origin_mm
        centre = np.array([ox + dx * (i[0] + i[-1]) / 2, oy + dy * (j[0] + j[-1]) / 2, oz + dz * (k[0] + k[-1]) / 2])
        normal = {"axial": (0.0, 0.0, 1.0), "sagittal": (1.0, 0.0, 0.0), "coronal": (0.0, 1.0, 0.0)}
        centre = centre + protocol.offset_mm * np.asarray(normal[protocol.orientation])
        return (float(centre[0]), float(centre[1]), float(centre[2]))

    @staticmethod
    def _first_pixel(plane: Any, shape: tuple[int, ...], spacing: tuple[float, float]) -> list[float]:
        rows, cols = shape
        centre = np.asarray(plane.center_mm, float)
        position = centre - np.asarray(plane.row_dir) * spacing[1] * (cols - 1) / 2 \
            - np.asarray(plane.col_dir) * spacing[0] * (rows - 1) / 2
        return [float(v) for v in position]

    @staticmethod
    def _feedback(protocol: MriProtocol, figures: dict[str, Any], result: Any) -> list[FeedbackItem]:
        items = [FeedbackItem("scan-time", "info", f"Scan time {_mmss(result.timing.scan_time_s)}; SNR (water) "
                              f"{figures['snr']:.0f}.")]
        if figures["sar_mode"] != "normal":
            items.append(FeedbackItem("sar-first-level", "warning", f"SAR {figures['sar_wkg']:.1f} W/kg: first-level "
                                      "operating mode — needs medical supervision (IEC 60601-2-33)."))
        if figures["snr"] < 15:
            items.append(FeedbackItem("low-snr", "warning", f"Low SNR ({figures['snr']:.0f}): thicker slices, a larger "
                                      "FOV, more averages or a lower bandwidth would help."))
        shift = result.figures.get("fat_shift_px") or result.figures.get("chemical_shift_px")
        if shift and shift > 2:
            items.append(FeedbackItem("chemical-shift", "info", f"Fat–water shift {shift:.1f} px along the frequency "
                                      "direction: raise the bandwidth to reduce it."))
        if protocol.sequence in ("t1-se",) and protocol.tr_ms > 1000:
            items.append(FeedbackItem("weighting", "info", "TR over 1000 ms loses T1 weighting."))
        if protocol.motion:
            items.append(FeedbackItem("motion", "info", "Motion during the scan: ghosts repeat along the phase "
                                      "direction; breath-hold, saturation bands or a faster sequence reduce them."))
        return items


def _mmss(seconds: float) -> str:
    minutes, rest = divmod(int(math.ceil(seconds)), 60)
    return f"{minutes}:{rest:02d}"


SCANNER = register(MriScanner())


def bloch_acquire(patient: PatientRequest, seq_path: str, *, region: str = "head", b0_t: float = 1.5,
                  fov_mm: float | None = None) -> Acquisition:
    """Run a Pulseq ``.seq`` file on the isochromat (Bloch) engine over the middle axial slice of the patient.

    The ADC samples are placed on a Cartesian grid by their k-space positions (nearest neighbour; the
    teaching sequences are Cartesian) and Fourier transformed. For teaching what a sequence does; the
    interactive engine is the one for protocols.
    """
    from scanroom.physics.mri import pulseq_io

    try:
        blocks = pulseq_io.read_seq(seq_path, ideal_spoil=True)
    except (OSError, ValueError) as exc:
        raise ProtocolError(f"Cannot read the Pulseq file {seq_path}: {exc}") from None
    fov = (fov_mm or _seq_fov_mm(seq_path) or 220.0) / 1000.0
    phantom = _phantom(patient, region)
    dz, dy, dx = phantom.voxel_mm
    k = phantom.shape[0] // 2
    grid = 64
    coords = (np.arange(grid) - (grid - 1) / 2) * fov * 1000.0 / grid
    centre = MriScanner._centre(phantom, preset_for("t1-gre", b0_t, region)) or (0.0, 0.0, 0.0)
    ii = np.clip(np.rint((centre[0] + coords - phantom.origin_mm[0]) / dx).astype(int), 0, phantom.shape[2] - 1)
    jj = np.clip(np.rint((centre[1] + coords - phantom.origin_mm[1]) / dy).astype(int), 0, phantom.shape[1] - 1)
    labels = phantom.labels[k][np.ix_(jj, ii)]
    table = mri.tissue_table(phantom.label_materials, b0_t)
    spins = mri.spins_from_labels(labels, table, (fov, fov))
    result = mri.simulate(blocks, spins)
    if result.signal.size == 0:
        raise ProtocolError("The sequence has no ADC events: nothing to reconstruct.")
    n = int(round(np.sqrt(result.signal.size)))
    kxy = result.kspace[:, :2] * fov  # in units of 1/FOV: integer grid positions for Cartesian sampling
    cols = np.clip(np.rint(kxy[:, 0] + n / 2).astype(int), 0, n - 1)
    rows = np.clip(np.rint(kxy[:, 1] + n / 2).astype(int), 0, n - 1)
    kspace = np.zeros((n, n), dtype=complex)
    kspace[rows, cols] = result.signal
    image = np.abs(mri.ifft2c(kspace))
    stored = np.clip(np.rint(image / max(float(image.max()), 1e-12) * 3000.0), 0, 65535).astype(np.uint16)
    protocol = preset_for("t1-gre", b0_t, region)
    name = seq_path.rsplit("/", 1)[-1]
    return Acquisition(
        modality="mri", patient=patient, protocol=protocol, images=stored[None],
        pixel_spacing_mm=(fov * 1000.0 / n, fov * 1000.0 / n), dose={"scan_time_s": float(result.adc_times_s[-1])},
        quality={"adc_samples": float(result.signal.size)},
        feedback=[FeedbackItem("bloch", "info", f"Bloch simulation of {name}: {result.signal.size} ADC samples "
                               f"over a {grid}×{grid} slice of {patient.patient_id}.")],
        display={"window_centre": 1500.0, "window_width": 3000.0},
        dicom={"sequence_id": "pulseq", "sequence_name": f"Pulseq {name}"[:16], "scanning_sequence": "GR",
               "sequence_variant": "SP", "scan_options": "", "tr_ms": protocol.tr_ms, "te_ms": protocol.te_ms,
               "flip_deg": protocol.flip_deg, "etl": 1, "field_t": b0_t, "nex": 1, "bw_hz_px": protocol.bw_hz_px,
               "matrix": (n, n), "phase_dir": "COL", "percent_sampling": 100.0, "percent_phase_fov": 100.0,
               "slice_mm": dz, "gap_mm": 0.0, "orientation": "axial", "image_orientation": [1, 0, 0, 0, 1, 0],
               "slice_positions": [[centre[0] + coords[0], centre[1] + coords[0], phantom.origin_mm[2] + k * dz]],
               "body_part": REGION_CODES[region][0], "anatomic_region": REGION_CODES[region][1],
               "coil": "BODY", "series_description": f"Bloch: {name}"[:64], "series_number": 50},
        extras={"kspace": np.abs(kspace).astype(np.float32)})


def _seq_fov_mm(seq_path: str) -> float | None:
    """The FOV the .seq file declares in its [DEFINITIONS] (metres in Pulseq), if any."""
    try:
        with open(seq_path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                parts = line.split()
                if parts and parts[0] == "FOV" and len(parts) >= 2:
                    return 1000.0 * float(parts[1])
    except OSError:
        return None
    return None


def localiser_view(patient: PatientRequest, protocol: MriProtocol) -> np.ndarray:
    """A sagittal localiser of the region with the planned stack drawn on it (RGB uint8).

    The localiser is a quick single-slice T1 GRE (the interactive engine, 128² over 280 mm); the planned
    slices are drawn where the stack's planes cut the sagittal plane, so the trainee sees coverage and gaps.
    """
    from PIL import Image, ImageDraw

    phantom = _phantom(patient, protocol.region)
    centre = MriScanner._centre(phantom, protocol)
    localiser = apply_localiser(phantom, centre, protocol.b0_t)
    image = np.abs(localiser.image[0])
    grey = (255 * np.clip(image / max(float(np.percentile(image, 99.5)), 1e-9), 0, 1)).astype(np.uint8)
    scale = 3
    canvas = Image.fromarray(grey).convert("RGB").resize((grey.shape[1] * scale, grey.shape[0] * scale))
    draw = ImageDraw.Draw(canvas)
    plane = localiser.planes[0]
    spacing = localiser.pixel_spacing_mm  # (row, column)
    rows, cols = grey.shape
    first = np.asarray(plane.center_mm) - np.asarray(plane.row_dir) * spacing[1] * (cols - 1) / 2 \
        - np.asarray(plane.col_dir) * spacing[0] * (rows - 1) / 2

    def to_pixel(point: np.ndarray) -> tuple[float, float]:
        offset = point - first
        return (float(offset @ np.asarray(plane.row_dir)) / spacing[1] * scale,
                float(offset @ np.asarray(plane.col_dir)) / spacing[0] * scale)

    stack = mri.slice_planes(slice_geometry(protocol, centre), phantom)
    half_fov = protocol.fov_mm / 2
    for index, s in enumerate(stack):
        # the line where this slice's plane meets the sagittal localiser, over the slice's FOV
        along = np.asarray(s.e_read) if abs(np.asarray(s.e_read) @ np.asarray(plane.e_normal)) < 0.9 \
            else np.asarray(s.e_phase)
        a = to_pixel(np.asarray(s.center_mm) - along * half_fov)
        b = to_pixel(np.asarray(s.center_mm) + along * half_fov)
        colour = (255, 213, 74) if index not in (0, len(stack) - 1) else (255, 120, 80)
        draw.line([a, b], fill=colour, width=1)
    draw.text((6, 6), f"{len(stack)} slices x {protocol.slice_mm:g} mm, gap {protocol.gap_mm:g} mm",
              fill=(230, 230, 230))
    return np.asarray(canvas)


def apply_localiser(phantom: Phantom, centre: tuple[float, float, float] | None, b0_t: float) -> Any:
    seq = mri.default_params("t1-gre", b0_t)
    geometry = mri.SliceGeometry(orientation="sagittal", fov_read_mm=280, fov_phase_mm=280, matrix_read=128,
                                 matrix_phase=128, slice_thickness_mm=5, n_slices=1, center_mm=centre)
    return mri.acquire(phantom, seq, geometry, mri.AcquisitionParams(field_t=b0_t, seed=0, normalize_intensity=True))
