"""Third-generation CT geometry: fan-beam source and arc detector, rows, table motion, bowtie filter.

Conventions (LPS patient coordinates, mm; the scanner axis is patient z):

- The focal spot turns on a circle of radius ``R = source_iso_mm`` about the isocentre; at gantry
  angle β it sits at ``S(β) = (R·sin β, −R·cos β)`` (β = 0: tube anterior, above a supine patient).
- Channels lie on an arc centred on the focal spot (equiangular detector). Channel ``c`` sees the ray at
  fan angle ``γ_c = (c − (n−1)/2 + q)·Δγ`` from the central ray, positive towards
  ``e(β) = (cos β, sin β)``; ``q = 1/4`` with the quarter-detector offset, else 0. The channels span
  the scan field of view: ``n·Δγ = 2·asin(FOV / 2R)``.
- A detector row of width ``w`` (at the isocentre) measures the slab ``[z_r − w/2, z_r + w/2]``; with
  a 2-D (fan-beam, zero cone angle) model each row is an independent fan.

Hsieh J. Computed Tomography: Principles, Design, Artifacts, and Recent Advances, 3rd ed. SPIE 2015,
ch. 2 (third-generation geometry, quarter-detector offset), ch. 9 (helical pitch), ch. 10 (bowtie).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "BOWTIES",
    "FanBeamGeometry",
    "Collimation",
    "Acquisition",
    "RowSamples",
    "view_angles",
    "bowtie_al_mm",
    "row_samples",
]

BOWTIES = ("none", "head", "body")


@dataclass(frozen=True)
class FanBeamGeometry:
    """Source, arc detector and bore of a third-generation scanner (defaults: a typical 64-row system).

    ``n_channels`` sets the in-plane sampling: 896 channels over a 500 mm scan FOV give 0.58 mm at the
    isocentre (0.29 mm over a full rotation with the quarter offset).
    """

    source_iso_mm: float = 570.0
    source_detector_mm: float = 1040.0
    n_channels: int = 896
    scan_fov_mm: float = 500.0
    bore_mm: float = 700.0
    quarter_offset: bool = True
    detector_rows: int = 64
    min_row_width_mm: float = 0.625
    focal_spot_mm: float = 0.9  # nominal, for the in-plane blur documented in recon (not ray traced)

    def __post_init__(self) -> None:
        if not 0 < self.source_iso_mm < self.source_detector_mm:
            raise ValueError("need 0 < source-isocentre distance < source-detector distance")
        if self.n_channels < 16:
            raise ValueError("n_channels must be at least 16")
        if not self.scan_fov_mm > 0:
            raise ValueError("scan FOV must be positive")
        if self.scan_fov_mm > self.bore_mm:
            raise ValueError(f"scan FOV {self.scan_fov_mm} mm is larger than the bore ({self.bore_mm} mm)")
        if self.bore_mm >= 2 * self.source_iso_mm:
            raise ValueError("the bore must fit inside the source circle")
        if self.detector_rows < 1 or self.min_row_width_mm <= 0:
            raise ValueError("detector rows and row width must be positive")

    @property
    def fan_angle_rad(self) -> float:
        """Full fan angle covered by the channels."""
        return 2.0 * math.asin(self.scan_fov_mm / (2.0 * self.source_iso_mm))

    @property
    def delta_gamma_rad(self) -> float:
        """Angular channel pitch Δγ."""
        return self.fan_angle_rad / self.n_channels

    @property
    def channel_offset(self) -> float:
        """Channel-index offset of the central ray: 0.25 with the quarter-detector offset."""
        return 0.25 if self.quarter_offset else 0.0

    @property
    def channel_pitch_iso_mm(self) -> float:
        """Channel spacing projected to the isocentre, R·Δγ."""
        return self.source_iso_mm * self.delta_gamma_rad

    @property
    def magnification(self) -> float:
        return self.source_detector_mm / self.source_iso_mm

    def gammas(self) -> np.ndarray:
        """Fan angle (rad) of each channel centre, ascending."""
        n = self.n_channels
        return (np.arange(n) - (n - 1) / 2.0 + self.channel_offset) * self.delta_gamma_rad

    def with_channels(self, n_channels: int) -> FanBeamGeometry:
        """Same scanner with a coarser or finer channel count (tests and previews)."""
        from dataclasses import replace

        return replace(self, n_channels=int(n_channels))


@dataclass(frozen=True)
class Collimation:
    """Active detector rows × row width at the isocentre (e.g. 64 × 0.625 mm)."""

    n_rows: int = 16
    row_width_mm: float = 0.625

    def __post_init__(self) -> None:
        if self.n_rows < 1:
            raise ValueError("collimation needs at least one row")
        if self.row_width_mm <= 0:
            raise ValueError("row width must be positive")

    @property
    def total_mm(self) -> float:
        """Nominal beam width N·T (mm)."""
        return self.n_rows * self.row_width_mm

    def check(self, geometry: FanBeamGeometry) -> None:
        """Raise ValueError if the detector cannot provide this collimation."""
        rw = self.row_width_mm / geometry.min_row_width_mm
        if abs(rw - round(rw)) > 1e-6 or round(rw) < 1:
            raise ValueError(
                f"row width {self.row_width_mm} mm is not a multiple of the detector row "
                f"({geometry.min_row_width_mm} mm)"
            )
        if self.n_rows * round(rw) > geometry.detector_rows:
            raise ValueError(
                f"collimation {self.n_rows} x {self.row_width_mm} mm needs more than the "
                f"{geometry.detector_rows} detector rows"
            )


@dataclass(frozen=True)
class Acquisition:
    """How the gantry and table move: axial (step-and-shoot) or helical.

    ``start_mm``/``end_mm`` are the first and last *image* positions (patient z). ``pitch`` is the table
    feed per rotation divided by the nominal beam width N·T (helical only; axial scans advance N·T per
    rotation, i.e. contiguous slabs). ``slice_thickness_mm`` is the reconstructed image thickness.
    """

    mode: str = "helical"
    collimation: Collimation = field(default_factory=Collimation)
    pitch: float = 1.0
    rotation_time_s: float = 0.5
    views_per_rotation: int = 1000
    start_mm: float = 0.0
    end_mm: float = 0.0
    slice_thickness_mm: float = 5.0
    bowtie: str = "body"

    def __post_init__(self) -> None:
        if self.mode not in ("axial", "helical"):
            raise ValueError(f"mode must be 'axial' or 'helical', got {self.mode!r}")
        if not (isinstance(self.pitch, int | float) and math.isfinite(self.pitch)) or self.pitch <= 0:
            raise ValueError(f"pitch must be > 0, got {self.pitch}")
        if self.pitch > 2.0:
            raise ValueError(f"pitch {self.pitch} is above 2 (single-source helical limit here)")
        if not 0.2 <= self.rotation_time_s <= 2.0:
            raise ValueError(f"rotation time must be 0.2-2 s, got {self.rotation_time_s}")
        if self.views_per_rotation < 16:
            raise ValueError("views_per_rotation must be at least 16")
        if self.end_mm < self.start_mm:
            raise ValueError("end_mm must not be below start_mm")
        if self.slice_thickness_mm < self.collimation.row_width_mm - 1e-9:
            raise ValueError(
                f"slice thickness {self.slice_thickness_mm} mm is thinner than a row "
                f"({self.collimation.row_width_mm} mm)"
            )
        if self.mode == "axial" and self.slice_thickness_mm > self.collimation.total_mm + 1e-9:
            raise ValueError("axial slice thickness cannot exceed the beam width N*T")
        if self.bowtie not in BOWTIES:
            raise ValueError(f"bowtie must be one of {BOWTIES}, got {self.bowtie!r}")

    @property
    def table_feed_mm(self) -> float:
        """Table travel per rotation."""
        c = self.collimation.total_mm
        return c * self.pitch if self.mode == "helical" else c

    @property
    def effective_pitch(self) -> float:
        """Pitch used for CTDIvol: 1 for contiguous axial scans."""
        return self.pitch if self.mode == "helical" else 1.0

    @property
    def n_rotations(self) -> float:
        """Rotations needed to cover the image range (helical: plus one for the reconstruction margin)."""
        length = self.end_mm - self.start_mm
        if self.mode == "axial":
            return float(max(1, math.ceil((length + self.slice_thickness_mm) / self.collimation.total_mm - 1e-9)))
        return length / self.table_feed_mm + 1.0

    @property
    def exposure_time_s(self) -> float:
        return self.n_rotations * self.rotation_time_s

    @property
    def irradiated_length_mm(self) -> float:
        """Length used for DLP: the imaged range (axial: whole slabs), without helical over-ranging."""
        if self.mode == "axial":
            return self.n_rotations * self.collimation.total_mm
        return (self.end_mm - self.start_mm) + self.slice_thickness_mm

    def slice_positions(self, increment_mm: float | None = None) -> np.ndarray:
        """Image z positions from start to end (default increment = slice thickness)."""
        inc = self.slice_thickness_mm if increment_mm is None else float(increment_mm)
        if inc <= 0:
            raise ValueError("increment must be positive")
        n = int(math.floor((self.end_mm - self.start_mm) / inc + 1e-9)) + 1
        return self.start_mm + inc * np.arange(n)


def view_angles(n_views: int, start_rad: float = 0.0) -> np.ndarray:
    """Equally spaced gantry angles over one rotation."""
    if n_views < 1:
        raise ValueError("n_views must be positive")
    return start_rad + 2.0 * np.pi * np.arange(n_views) / n_views


def bowtie_al_mm(kind: str, geometry: FanBeamGeometry) -> np.ndarray:
    """Aluminium-equivalent bowtie thickness (mm) per channel (0 on the central ray).

    The shape compensates a fraction of the water path through a design cylinder (head 200 mm, body
    400 mm): ``t(γ) = min(t_max, k·(D − chord(γ))·μ_w/μ_Al)`` at 60 keV (μ ratio 0.275), with k = 0.6 and
    t_max = 30 mm Al; outside the cylinder the full D counts. A teaching model of the shaped filters
    described by Hsieh (ch. 10); real filters are graphite/Teflon/Al of vendor-specific profiles.
    """
    if kind not in BOWTIES:
        raise ValueError(f"bowtie must be one of {BOWTIES}, got {kind!r}")
    g = geometry.gammas()
    if kind == "none":
        return np.zeros_like(g)
    diam = 200.0 if kind == "head" else 400.0
    r = diam / 2.0
    d = geometry.source_iso_mm * np.abs(np.sin(g))
    chord = 2.0 * np.sqrt(np.clip(r * r - d * d, 0.0, None))
    return np.minimum(30.0, 0.6 * (diam - chord) * 0.275)


@dataclass(frozen=True)
class RowSamples:
    """Which detector-row measurements feed one image, view by view (2-D fan-beam model).

    ``row_weight[v, r]`` are the z-filter weights (sum to 1 per view) of the row measurements
    ``r`` at view ``v``, combined after the log. ``voxel_weight[v, r, s]`` is the fraction of row
    ``r``'s width that lies in voxel slice ``slices[s]`` (intensities average within a row, before the log:
    the non-linear partial-volume effect).
    """

    slices: np.ndarray  # (n_sub,) voxel-slice indices into the phantom
    row_weight: np.ndarray  # (n_views, n_rows) float64
    voxel_weight: np.ndarray  # (n_views, n_rows, n_sub) float64
    rows_per_image: float  # mean number of row measurements per view (photon statistics)


def _overlap(a0: np.ndarray, a1: np.ndarray, b0: float, b1: float) -> np.ndarray:
    return np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0.0, None)


def row_samples(
    acquisition: Acquisition,
    z_mm: float,
    angles_rad: np.ndarray,
    voxel_z0_mm: float,
    voxel_dz_mm: float,
    n_voxel_slices: int,
) -> RowSamples:
    """Row measurements and voxel-slice overlaps for the image at ``z_mm``.

    Axial: the rows of the rotation whose slab contains ``z_mm`` and lie inside the image thickness
    (slabs tile from ``start_mm``; an image off that grid gets a rotation centred on it).
    Helical: the table moves ``feed·β/2π`` during the rotation; every row of every rotation that passes
    the image window at gantry angle β is used, with weight = fraction of the row inside the window
    (a box z-filter of the slice thickness; Hsieh ch. 9). Row samples per view ≈ thickness/(pitch·w).
    ``voxel_z0_mm`` is the z of voxel slice 0's centre.
    """
    col = acquisition.collimation
    w = col.row_width_mm
    t = acquisition.slice_thickness_mm
    lo, hi = z_mm - t / 2.0, z_mm + t / 2.0
    n_views = angles_rad.size
    row_z: list[np.ndarray] = []
    if acquisition.mode == "axial":
        # the slab (rotation) whose coverage best contains the image window
        width = col.total_mm
        k = math.floor((z_mm - acquisition.start_mm + t / 2.0) / width + 1e-9)
        centre = acquisition.start_mm - t / 2.0 + (k + 0.5) * width
        if lo < centre - width / 2 - 1e-9 or hi > centre + width / 2 + 1e-9:
            centre = z_mm  # the image is not on the planned slab grid: centre a rotation on it
        offsets = (np.arange(col.n_rows) - (col.n_rows - 1) / 2.0) * w
        zr = centre + offsets
        zr = zr[(zr + w / 2 > lo + 1e-9) & (zr - w / 2 < hi - 1e-9)]
        if zr.size == 0:
            raise ValueError(f"no detector row covers z = {z_mm} mm")
        row_z = [zr] * n_views
    else:
        feed = acquisition.table_feed_mm
        offsets = (np.arange(col.n_rows) - (col.n_rows - 1) / 2.0) * w
        for beta in angles_rad:
            # table (beam centre) positions at this gantry angle on successive rotations, centred on z
            frac = (beta % (2 * np.pi)) / (2 * np.pi)
            j_lo = math.floor((lo - w - col.total_mm / 2 - z_mm) / feed - frac) - 1
            j_hi = math.ceil((hi + w + col.total_mm / 2 - z_mm) / feed - frac) + 1
            centres = z_mm + (np.arange(j_lo, j_hi + 1) + frac) * feed
            zr = (centres[:, None] + offsets[None, :]).ravel()
            zr = zr[(zr + w / 2 > lo + 1e-9) & (zr - w / 2 < hi - 1e-9)]
            row_z.append(np.sort(zr))
    n_rows = max(z.size for z in row_z)
    if n_rows == 0:
        raise ValueError(f"no detector row covers z = {z_mm} mm")
    # voxel slices touched by any row
    all_z = np.concatenate(row_z)
    k0 = int(math.floor((all_z.min() - w / 2 - voxel_z0_mm) / voxel_dz_mm + 0.5))
    k1 = int(math.floor((all_z.max() + w / 2 - voxel_z0_mm) / voxel_dz_mm + 0.5))
    k0, k1 = max(k0, 0), min(k1, n_voxel_slices - 1)
    if k1 < k0:
        raise ValueError(f"z = {z_mm} mm is outside the phantom")
    slices = np.arange(k0, k1 + 1)
    s_lo = voxel_z0_mm + (slices - 0.5) * voxel_dz_mm
    s_hi = s_lo + voxel_dz_mm
    row_weight = np.zeros((n_views, n_rows))
    voxel_weight = np.zeros((n_views, n_rows, slices.size))
    for v, zr in enumerate(row_z):
        a = _overlap(zr - w / 2, zr + w / 2, lo, hi) / w
        row_weight[v, : zr.size] = a / a.sum()
        for r, z in enumerate(zr):
            voxel_weight[v, r] = _overlap(s_lo, s_hi, z - w / 2, z + w / 2) / w
    # rows partly outside the phantom see air there: their weights sum < 1 (transmission 1 for the rest)
    rows_per_image = float(np.mean([np.sum(_overlap(z - w / 2, z + w / 2, lo, hi) / w) for z in row_z]))
    return RowSamples(slices, row_weight, voxel_weight, rows_per_image)
