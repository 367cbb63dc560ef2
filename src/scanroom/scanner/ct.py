"""CT scan room: protocol → scout, planned range, helical/axial scan, reconstruction, dose report.

Physics: ``scanroom.physics.ct`` (fan-beam projection through the digital patient with SpekPy/xraydb
spectra and attenuation, water beam-hardening correction, FBP or OS-SART, CTDI model calibrated on the CTDI
phantoms, SSDE by AAPM 204/220, E = k·DLP by AAPM 96, UK national DRLs).

A scan reconstructs a slab of ``images`` evenly spaced through the planned range (the whole range would
take minutes on a laptop); dose is that of the whole planned range. 1000 views per rotation, as a real
scanner: fewer views add view-aliasing noise that does not fall with mAs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from scanroom.physics import ct
from scanroom.physics.patients import build_patient
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
from scanroom.scanner.phantoms import LRU, phantom_for
from scanroom.scanner.phantoms import cache_key as _key
from scanroom.scanner.registry import register

ProtocolId = Literal["head-routine", "chest-routine", "ctpa", "abdomen-pelvis-pv", "lung-screening-ld", "qa-water",
                     "qa-ctdi", "qa-phantom"]
Kernel = Literal["soft", "standard", "lung", "bone"]
VOXEL_MM = 2.0

# protocol id -> (name, region, age-independent DRL exam, k-factor region, body part, anatomic region, defaults)
PROTOCOLS: dict[str, dict[str, Any]] = {
    "head-routine": {"name": "Head routine", "region": "head", "drl": "head-acute-stroke", "k_region": "head",
                     "body_part": "HEAD", "code": ("69536005", "SCT", "Head"), "patient": "adult-male",
                     "kvp": 120, "mas": 120, "pitch": 0.55, "rows": 32, "kernel": "soft", "fov_mm": 230,
                     "bowtie": "head", "window": (40, 80)},
    "chest-routine": {"name": "Chest routine", "region": "chest", "drl": "chest-lung-cancer", "k_region": "chest",
                      "body_part": "CHEST", "code": ("816094009", "SCT", "Chest"), "patient": "adult-male",
                      "kvp": 120, "mas": 100, "pitch": 1.0, "rows": 64, "kernel": "standard", "fov_mm": 380,
                      "bowtie": "body", "window": (40, 400)},
    "ctpa": {"name": "CT pulmonary angiography", "region": "chest", "drl": "ct-pulmonary-angiography",
             "k_region": "chest", "body_part": "CHEST", "code": ("816094009", "SCT", "Chest"), "patient": "adult-male",
             "kvp": 100, "mas": 100, "pitch": 1.0, "rows": 64, "kernel": "standard", "fov_mm": 380, "bowtie": "body",
             "window": (100, 700), "phase": "arterial"},
    "abdomen-pelvis-pv": {"name": "Abdomen-pelvis portal venous", "region": "abdomen",
                          "drl": "abdomen-pelvis-abscess", "k_region": "abdomen-pelvis", "body_part": "ABDOMEN",
                          "code": ("818981001", "SCT", "Abdomen"), "patient": "adult-male", "kvp": 120,
                          "mas": 110, "pitch": 1.0, "rows": 64, "kernel": "standard", "fov_mm": 400,
                          "bowtie": "body", "window": (50, 400), "phase": "portal-venous"},
    "lung-screening-ld": {"name": "Low-dose lung screening", "region": "chest", "drl": None, "k_region": "chest",
                          "body_part": "CHEST", "code": ("816094009", "SCT", "Chest"), "patient": "adult-male",
                          "kvp": 100, "mas": 30, "pitch": 1.2, "rows": 64, "kernel": "lung", "fov_mm": 380,
                          "bowtie": "body", "window": (-600, 1500)},
    "qa-water": {"name": "QA water phantom", "region": None, "drl": None, "k_region": None, "body_part": "",
                 "code": None, "patient": "water-32", "kvp": 120, "mas": 200, "pitch": 1.0, "rows": 32,
                 "kernel": "standard", "fov_mm": 360, "bowtie": "body", "window": (0, 100)},
    "qa-ctdi": {"name": "QA CTDI body phantom", "region": None, "drl": None, "k_region": None, "body_part": "",
                "code": None, "patient": "ctdi-body", "kvp": 120, "mas": 200, "pitch": 1.0, "rows": 32,
                "kernel": "standard", "fov_mm": 360, "bowtie": "body", "window": (100, 500)},
    "qa-phantom": {"name": "QA CT phantom (linearity, resolution)", "region": None, "drl": None, "k_region": None,
                   "body_part": "", "code": None, "patient": "ct-qa", "kvp": 120, "mas": 200, "pitch": 1.0,
                   "rows": 32, "kernel": "standard", "fov_mm": 250, "bowtie": "body", "window": (0, 400)},
}


class CtProtocol(ScanProtocol):
    """CT console parameters; units in the names. ``mas`` is per rotation (the reference mAs with TCM)."""

    protocol: ProtocolId
    kvp: float = Field(description="Tube potential (kV): 70, 80, 100, 120 or 140.")
    mas: float = Field(ge=5, le=800, description="mAs per rotation.")
    pitch: float = Field(ge=0.2, le=2.0)
    rotation_time_s: float = Field(default=0.5, ge=0.25, le=2.0)
    collimation_rows: int = Field(default=64, ge=1, le=64, description="Detector rows used (0.625 mm each).")
    slice_mm: float = Field(default=5.0, ge=0.625, le=10.0)
    kernel: Kernel = "standard"
    fov_mm: float = Field(default=380.0, ge=50.0, le=500.0, description="Reconstruction field of view.")
    matrix: int = Field(default=512, description="Image matrix: 256 or 512.")
    start_mm: float | None = Field(default=None, description="First image position (patient z); auto if empty.")
    end_mm: float | None = Field(default=None, description="Last image position (patient z); auto if empty.")
    images: int = Field(default=3, ge=1, le=24, description="Images reconstructed through the range.")
    tcm: bool = Field(default=True, description="Tube-current modulation (angular + longitudinal) from the scout.")
    bh_correction: bool = True
    recon_method: Literal["fbp", "os-sart"] = "fbp"
    views_per_rotation: int = Field(default=1000, ge=100, le=2000)
    mode: Literal["helical", "axial"] = "helical"
    contrast_phase: Literal["non-contrast", "arterial", "portal-venous"] = "non-contrast"
    bad_channel: bool = Field(default=False, description="A detector channel out of calibration (ring artefact).")
    breathing: bool = Field(default=False, description="The patient breathes during the scan.")

    @model_validator(mode="after")
    def _choices(self) -> CtProtocol:
        if int(self.kvp) not in ct.KVP_CHOICES or self.kvp != int(self.kvp):
            raise ValueError(f"kVp must be one of {', '.join(str(k) for k in ct.KVP_CHOICES)}")
        if self.matrix not in (256, 512):
            raise ValueError("matrix must be 256 or 512")
        if self.slice_mm < 0.625 - 1e-9:
            raise ValueError("slice thickness is thinner than a detector row (0.625 mm)")
        if self.start_mm is not None and self.end_mm is not None and self.end_mm < self.start_mm:
            raise ValueError("the scan range ends before it starts (end_mm < start_mm)")
        return self


def preset_for(protocol_id: str) -> CtProtocol:
    p = PROTOCOLS[protocol_id]
    return CtProtocol(protocol=protocol_id, kvp=p["kvp"], mas=p["mas"], pitch=p["pitch"],  # type: ignore[arg-type]
                      collimation_rows=p["rows"], kernel=p["kernel"], fov_mm=p["fov_mm"],
                      contrast_phase=p.get("phase", "non-contrast"),
                      tcm=p["region"] not in (None, "head"))  # heads are scanned at fixed mA


_PATHS = LRU(48)
_GEOMETRY = ct.FanBeamGeometry()


def _phantom(patient: PatientRequest, region: str | None) -> Phantom:
    return phantom_for(patient, region, VOXEL_MM)


def default_range(protocol_id: str, lo: float, hi: float) -> tuple[float, float]:
    """Where a radiographer would start and stop on the scout: skull base to vertex for heads (the head crop
    runs down to the neck), the middle 70% of the region otherwise."""
    if PROTOCOLS[protocol_id]["region"] == "head":
        return lo + 0.40 * (hi - lo), hi - 0.16 * (hi - lo)
    return lo + 0.15 * (hi - lo), hi - 0.15 * (hi - lo)


def z_extent(phantom: Phantom) -> tuple[float, float]:
    dz = phantom.voxel_mm[0]
    z0 = phantom.origin_mm[2]
    return z0, z0 + dz * (phantom.shape[0] - 1)


class CtScanner(Scanner):
    modality = "ct"
    protocol_model = CtProtocol

    def presets(self) -> Mapping[str, ScanProtocol]:
        return {protocol_id: preset_for(protocol_id) for protocol_id in PROTOCOLS}

    def acquire(self, patient: PatientRequest, protocol: ScanProtocol, *,
                progress: Progress | None = None) -> Acquisition:
        if not isinstance(protocol, CtProtocol):
            raise ProtocolError("A CT acquisition needs a CtProtocol.")
        report = progress or (lambda fraction, message: None)
        info = PROTOCOLS[protocol.protocol]
        if protocol.fov_mm > _GEOMETRY.scan_fov_mm:
            raise ProtocolError(f"Reconstruction FOV {protocol.fov_mm:g} mm is larger than the scan FOV "
                                f"({_GEOMETRY.scan_fov_mm:g} mm) and the {_GEOMETRY.bore_mm:g} mm bore allows.")
        report(0.05, "positioning the patient")
        phantom = _phantom(patient, info["region"])
        if protocol.contrast_phase != "non-contrast":
            phantom = ct.with_contrast(phantom, protocol.contrast_phase)
        auto_start, auto_end = default_range(protocol.protocol, *z_extent(phantom))
        start = protocol.start_mm if protocol.start_mm is not None else auto_start
        end = protocol.end_mm if protocol.end_mm is not None else auto_end
        report(0.1, "scout")
        seed = int(_key(patient.model_dump(), protocol.model_dump())[:8], 16)
        scout = ct.acquire_topogram(phantom, _GEOMETRY, view="ap", kvp=120.0, bowtie=info["bowtie"], seed=seed)
        try:
            ct.check_range(scout, start, end)
            collimation = ct.Collimation(protocol.collimation_rows, 0.625)
            acquisition = ct.Acquisition(mode=protocol.mode, collimation=collimation,
                                         pitch=protocol.pitch, rotation_time_s=protocol.rotation_time_s,
                                         views_per_rotation=protocol.views_per_rotation, start_mm=start, end_mm=end,
                                         slice_thickness_mm=protocol.slice_mm, bowtie=info["bowtie"])
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        sizes = ct.sizes(scout)
        plan = self._plan(protocol, sizes)
        positions = np.linspace(start, end, protocol.images) if protocol.images > 1 else np.array([(start + end) / 2])
        recon = ct.Reconstruction(kernel=protocol.kernel, matrix=protocol.matrix, fov_mm=protocol.fov_mm,
                                  method=protocol.recon_method, bh_correction=protocol.bh_correction)
        gains = ct.channel_gains(_GEOMETRY.n_channels, [_GEOMETRY.n_channels // 2 + 37], 0.02) \
            if protocol.bad_channel else None
        images = []
        for index, z in enumerate(positions):
            report(0.15 + 0.75 * index / len(positions), f"image {index + 1} of {len(positions)}")
            paths = self._paths(patient, protocol, phantom, acquisition, float(z))
            angles = paths.angles_rad
            mas_per_view = plan.mas_per_view(float(z), angles)
            try:
                image = ct.image_from_paths(paths, kvp=protocol.kvp, mas_per_view=mas_per_view, recon=recon,
                                            bowtie=info["bowtie"], seed=seed + index, channel_gain=gains)
            except ValueError as exc:
                raise ProtocolError(str(exc)) from None
            images.append(image)
        report(0.92, "dose report")
        wed = float(np.interp((start + end) / 2, sizes.z_mm, sizes.wed_cm))
        mean_mas = float(getattr(plan, "mean_mas", protocol.mas))
        try:
            dose = ct.scan_dose(_GEOMETRY, acquisition, protocol.kvp, mean_mas, wed_cm=wed,
                                region=info["k_region"], drl_exam=info["drl"])
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        hu = np.stack([im.hu for im in images])
        stored = np.clip(np.rint(hu), -1024, 3071).astype(np.int16)
        centre_xy = images[0].centre_mm
        pixel = images[0].pixel_mm
        top_left = (centre_xy[0] - pixel * (protocol.matrix - 1) / 2, centre_xy[1] - pixel * (protocol.matrix - 1) / 2)
        window_centre, window_width = info["window"]
        dose_figures = {"ctdivol_mgy": dose.ctdi_vol_mgy, "dlp_mgycm": dose.dlp_mgy_cm,
                        "ssde_mgy": dose.ssde_mgy or 0.0, "water_equivalent_diameter_cm": wed,
                        "effective_dose_msv": dose.effective_dose_msv or 0.0,
                        "scan_length_mm": 10 * dose.scan_length_cm,
                        "mas_per_rotation_mean": mean_mas}
        if dose.drl_ctdi_vol_mgy is not None:
            dose_figures["drl_ctdivol_mgy"] = dose.drl_ctdi_vol_mgy
            dose_figures["drl_dlp_mgycm"] = dose.drl_dlp_mgy_cm or 0.0
        quality = self._quality(hu, images[0])
        scout_image = np.clip(np.rint(scout.image[::-1] * 1000.0), 0, 65535).astype(np.uint16)
        acquisition_out = Acquisition(
            modality=self.modality, patient=patient, protocol=protocol, images=stored,
            pixel_spacing_mm=(pixel, pixel), truth_masks=self._truth(phantom, positions, protocol, images),
            dose={k: float(v) for k, v in dose_figures.items()}, quality=quality,
            feedback=self._feedback(protocol, dose, quality, info),
            display={"rescale_intercept": 0.0, "rescale_slope": 1.0, "window_centre": float(window_centre),
                     "window_width": float(window_width)},
            dicom={
                "protocol_id": protocol.protocol, "protocol_name": info["name"], "body_part": info["body_part"],
                "anatomic_region": info["code"], "kvp": protocol.kvp,
                "tube_current_ma": mean_mas / protocol.rotation_time_s,
                "exposure_time_ms": 1000.0 * protocol.rotation_time_s, "mas_per_rotation": mean_mas,
                "rotation_time_s": protocol.rotation_time_s, "pitch": protocol.pitch,
                "collimation_mm": protocol.collimation_rows * 0.625, "single_collimation_mm": 0.625,
                "slice_mm": protocol.slice_mm,
                "slice_spacing_mm": float(positions[1] - positions[0]) if len(positions) > 1 else protocol.slice_mm,
                "kernel": protocol.kernel.upper(), "fov_mm": protocol.fov_mm, "scan_fov_mm": _GEOMETRY.scan_fov_mm,
                "slice_positions_mm": [float(z) for z in positions], "image_origin_xy_mm": top_left,
                "contrast_phase": protocol.contrast_phase,
                "phantom_type": "HEAD" if info["bowtie"] == "head" else "BODY",
                "scout": {"pixel_spacing_mm": (float(abs(scout.z_mm[1] - scout.z_mm[0])),
                                               float(abs(scout.lateral_mm[1] - scout.lateral_mm[0]))),
                          "kvp": scout.kvp, "mas": scout.mas_per_line * len(scout.z_mm), "view": "AP",
                          "image_position": [float(scout.lateral_mm[0]), 0.0, float(scout.z_mm[-1])],
                          "image_orientation": [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]},
            },
            extras={"scout": scout_image})
        report(1.0, "done")
        return acquisition_out

    # -- helpers ------------------------------------------------------------------------------------------
    @staticmethod
    def _plan(protocol: CtProtocol, sizes: Any) -> Any:
        if protocol.tcm:
            return ct.plan_tube_current(sizes.z_mm, sizes.wed_cm, sizes.width_cm, sizes.thickness_cm,
                                        reference_mas=protocol.mas, rotation_time_s=protocol.rotation_time_s)
        try:
            return ct.fixed_plan(protocol.mas / protocol.rotation_time_s, protocol.rotation_time_s)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None

    def _paths(self, patient: PatientRequest, protocol: CtProtocol, phantom: Phantom,
               acquisition: ct.Acquisition, z: float) -> ct.SlicePaths:
        key = _key(patient.model_dump(), protocol.protocol, protocol.contrast_phase, protocol.collimation_rows,
                   protocol.slice_mm, protocol.pitch, protocol.mode, protocol.views_per_rotation, round(z, 3),
                   protocol.breathing)

        def make() -> ct.SlicePaths:
            try:
                if protocol.breathing:
                    phases = ct.breathing_schedule(protocol.views_per_rotation, 4)
                    moved = [build_patient(patient.patient_id, region=PROTOCOLS[protocol.protocol]["region"],
                                           voxel_mm=VOXEL_MM, lesions=list(patient.lesions), seed=patient.seed,
                                           breathing_phase=float(ph) / 3.0) for ph in range(4)]
                    return ct.trace_slice(moved, _GEOMETRY, acquisition, z, view_phase=phases)
                return ct.trace_slice(phantom, _GEOMETRY, acquisition, z, n_views=protocol.views_per_rotation)
            except ValueError as exc:
                raise ProtocolError(str(exc)) from None

        paths: ct.SlicePaths = _PATHS.get_or(key, make)
        return paths

    @staticmethod
    def _quality(hu: np.ndarray, image: Any) -> dict[str, float]:
        """Noise and the mean HU at the centre, as a physicist would read them off the images.

        Noise is the median over the body of the local SD in 9×9-pixel windows of the middle image: in uniform
        regions (most windows) that is the noise, and the median keeps edges and anatomy from counting.
        """
        from scipy import ndimage

        estimates = []
        for slice_hu in hu.astype(float):
            body = ndimage.binary_erosion(slice_hu > -300, iterations=6)
            if body.sum() < 100:
                continue
            mean = ndimage.uniform_filter(slice_hu, size=9)
            local_sd = np.sqrt(np.maximum(ndimage.uniform_filter(slice_hu**2, size=9) - mean**2, 0.0))
            estimates.append(float(np.median(local_sd[body])))
        rows, cols = hu.shape[1:]
        r = max(rows // 16, 4)
        centre = hu[:, rows // 2 - r: rows // 2 + r, cols // 2 - r: cols // 2 + r]
        # the middle image stands for the series (the ends may be skull base or vertex, all edges)
        middle = centre[len(centre) // 2]
        return {"noise_hu": float(estimates[len(estimates) // 2]) if estimates else 0.0,
                "centre_mean_hu": float(middle.mean()), "centre_sd_hu": float(middle.std()),
                "effective_energy_kev": float(image.effective_energy_kev)}

    @staticmethod
    def _truth(phantom: Phantom, positions: np.ndarray, protocol: CtProtocol,
               images: list[Any]) -> dict[str, np.ndarray]:
        """Lesion masks resampled into each reconstructed image (nearest voxel at the image's z)."""
        if not phantom.lesions:
            return {}
        n = protocol.matrix
        pixel = images[0].pixel_mm
        cx, cy = images[0].centre_mm
        coords = (np.arange(n) - (n - 1) / 2) * pixel
        dz, dy, dx = phantom.voxel_mm
        ox, oy, oz = phantom.origin_mm
        ii = np.clip(np.rint((cx + coords - ox) / dx).astype(int), 0, phantom.shape[2] - 1)
        jj = np.clip(np.rint((cy + coords - oy) / dy).astype(int), 0, phantom.shape[1] - 1)
        truth = {}
        for lesion in phantom.lesions:
            masks = []
            for z in positions:
                k = int(np.clip(round((z - oz) / dz), 0, phantom.shape[0] - 1))
                masks.append(lesion.mask[k][np.ix_(jj, ii)])
            truth[f"{lesion.lesion_id}-{lesion.instance}"] = np.stack(masks)
        return truth

    @staticmethod
    def _feedback(protocol: CtProtocol, dose: Any, quality: dict[str, float],
                  info: dict[str, Any]) -> list[FeedbackItem]:
        items = [FeedbackItem("dose", "info", f"CTDIvol {dose.ctdi_vol_mgy:.1f} mGy, DLP {dose.dlp_mgy_cm:.0f} mGy·cm"
                              + (f", SSDE {dose.ssde_mgy:.1f} mGy" if dose.ssde_mgy else "") + ".")]
        if dose.above_drl:
            items.append(FeedbackItem("above-drl", "warning", f"Above the UK national DRL for {info['drl']} "
                                      f"(CTDIvol {dose.drl_ctdi_vol_mgy} mGy / DLP {dose.drl_dlp_mgy_cm} mGy·cm): "
                                      "justify it or optimise."))
        if quality["noise_hu"] > 30 and protocol.kernel != "lung":
            items.append(FeedbackItem("noisy", "warning", f"Image noise {quality['noise_hu']:.0f} HU: raise the mAs "
                                      "(noise falls as 1/√mAs), use thicker slices, a softer kernel or iterative "
                                      "reconstruction."))
        if not protocol.bh_correction:
            items.append(FeedbackItem("no-bh-correction", "info", "Beam-hardening correction off: expect cupping and "
                                      "dark streaks between dense structures."))
        if protocol.bad_channel:
            items.append(FeedbackItem("ring", "info", "A detector channel is out of calibration: a ring artefact "
                                      "centred on the isocentre. Recalibrate (air calibration) before scanning."))
        if protocol.breathing:
            items.append(FeedbackItem("motion", "info", "Breathing during the scan: streaks and blurred edges; "
                                      "coach the breath-hold or shorten the rotation time."))
        if protocol.pitch > 1.5:
            items.append(FeedbackItem("high-pitch", "info", "High pitch: less dose and time, wider slice profile."))
        return items


SCANNER = register(CtScanner())
