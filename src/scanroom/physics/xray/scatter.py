"""Scattered radiation (convolution model) and the anti-scatter grid.

Scatter model
-------------
Scatter is a blurred copy of the primary: each pixel emits scatter in proportion to its detected
primary signal P and to a broad-beam scatter-to-primary ratio SPR_∞(t) of its local water-equivalent
thickness t, spread by a Gaussian point-spread function (Gaussian scatter PSFs fit measured slab
scatter well: Boone, Arnold & Seibert, Med Phys 1986;13:254):

    S = G_σ ⊛ (SPR_∞(t) · P),       SPR_∞(t) = (0.08 t + 0.006 t²)·(kVp/80)^0.25   (t in cm)

so that a uniform slab under an infinite field has S/P = SPR_∞(t), and a finite field F_a × F_b gives the
centre value SPR_∞(t)·erf(F_a/(2√2σ))·erf(F_b/(2√2σ)): SPR grows with thickness and with field size.
The PSF width at the detector is σ = σ₀(t)·(X_s + g)/X_s with σ₀ = 0.25·t and g the air gap between exit
surface and detector: scatter diverges from an effective point source X_s = 17.5 cm before the exit
surface (Sorenson & Floch, Med Phys 1985;12:308, found X_s = 15–20 cm), which is how an air gap rejects
scatter in this model. The kernel stays normalised, so the gap helps only through the finite field: for
20 cm water and a 30 × 30 cm field a 15 cm gap lowers SPR by ~20 % here, less than the point-source
estimate (X_s/(X_s+g))² would give — the model is conservative about air gaps.

Calibration anchors (no grid, ~80 kVp): SPR_∞ ≈ 0.55, 1.4, 4.0 and 7.8 at 5, 10, 20 and 30 cm water
(typical of the Monte Carlo and phantom data summarised in textbooks, e.g. Boone & Seibert, Med Phys
1988;15:713 [verify values]); the published checks in the tests are: an abdomen SPR of ≈ 2.6 before and
≈ 0.34 behind a grid (derived from Johns & Yaffe, Med Phys 1983;10:40, coherent first scatter = 26 % of
primary and 10 % of scatter before the grid, 7.5 % and 22 % behind it); mediastinum scatter fractions
≈ 0.9 without a grid (Niklason, Sorenson & Nelson, Med Phys 1981;8:677), and CT-like narrow beams
(35 cm water, 40 mm collimation) SPR ≈ 1–1.5 (XCIST maintainers, xcist/main#109). The energy spectrum of
the scatter is taken to be that of the primary (its detection efficiency is not modelled separately).

Anti-scatter grid
-----------------
A linear grid of ratio r = h/D transmits a fraction Tp of the primary on its focal axis and Ts of the
scatter. Off its focal line the strips shadow the interspaces: at position x across the strips,
with source distance D_s, focus distance f₀ and lateral source offset b,

    Tp(x) = Tp · max(0, 1 − r·|(x − b)/D_s − x/f₀|)

(lateral decentring loss r·b/f₀ and off-focus loss r·|x|·|1/D_s − 1/f₀|; an inverted focused grid uses
−x/f₀; parallel grids f₀ = ∞). Typical Tp/Ts by ratio are tabulated below (fibre/Al interspace grids at
~80 kV, representative values; see Chan, Higashida & Doi, Med Phys 1985;12:449 [verify values]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.special import erf

from scanroom.physics.xray.detector import _pair
from scanroom.physics.xray.geometry import FlatPanelGeometry

__all__ = [
    "SCATTER_POINT_SOURCE_CM",
    "spr_broad_beam",
    "scatter_sigma_mm",
    "slab_spr",
    "water_equivalent_thickness_cm",
    "scatter_signal",
    "AntiScatterGrid",
    "TYPICAL_GRIDS",
    "grid_primary_transmission",
]

SCATTER_POINT_SOURCE_CM = 17.5
_SPR_A, _SPR_B, _SPR_KV_EXP = 0.08, 0.006, 0.25
_SIGMA_PER_CM = 2.5  # mm of PSF σ per cm of thickness at contact

#: grid ratio -> (primary transmission Tp, scatter transmission Ts), representative values
TYPICAL_GRIDS: dict[float, tuple[float, float]] = {
    5.0: (0.75, 0.30),
    6.0: (0.74, 0.25),
    8.0: (0.72, 0.18),
    10.0: (0.70, 0.13),
    12.0: (0.68, 0.10),
    15.0: (0.66, 0.08),
    16.0: (0.65, 0.07),
}


def spr_broad_beam(thickness_cm: np.ndarray | float, kvp: float = 80.0) -> np.ndarray:
    """Scatter-to-primary ratio behind a water slab of ``thickness_cm`` in an infinite field, no grid."""
    t = np.maximum(np.asarray(thickness_cm, dtype=np.float64), 0.0)
    return (_SPR_A * t + _SPR_B * t * t) * (kvp / 80.0) ** _SPR_KV_EXP


def scatter_sigma_mm(thickness_cm: float, air_gap_mm: float = 0.0) -> float:
    """Gaussian σ (mm) of the scatter PSF at the detector for this thickness and air gap."""
    if air_gap_mm < 0:
        raise ValueError("air gap must be non-negative")
    xs = SCATTER_POINT_SOURCE_CM * 10.0
    return max(_SIGMA_PER_CM * float(thickness_cm), 1.0) * (xs + air_gap_mm) / xs


def slab_spr(thickness_cm: float, field_mm: tuple[float, float], kvp: float = 80.0,
             air_gap_mm: float = 0.0) -> float:
    """Model SPR at the centre of a rectangular field (size at the detector) behind a uniform slab."""
    s = scatter_sigma_mm(thickness_cm, air_gap_mm) * 2.0 * np.sqrt(2.0)
    frac = erf(field_mm[0] / s) * erf(field_mm[1] / s)
    return float(spr_broad_beam(thickness_cm, kvp) * frac)


def water_equivalent_thickness_cm(paths: np.ndarray, mu_table: np.ndarray, mu_water: np.ndarray,
                                  weights: np.ndarray) -> np.ndarray:
    """Σ_m L_m·μ̄_m/μ̄_water with μ̄ averaged over energy with ``weights`` (e.g. Φ·E·η)."""
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mu_bar = np.asarray(mu_table) @ w
    ratio = (mu_bar / float(np.asarray(mu_water) @ w)).astype(np.float32)
    return np.tensordot(ratio, paths, axes=1).astype(np.float32)


def scatter_signal(
    primary_signal: np.ndarray,
    thickness_cm: np.ndarray,
    pixel_mm: float | tuple[float, float],
    kvp: float,
    *,
    air_gap_mm: float = 0.0,
    step_mm: float = 4.0,
) -> np.ndarray:
    """Scatter image (same units as ``primary_signal``) without a grid; see the module docstring.

    The convolution runs on a coarse grid (``step_mm``; scatter is smooth) and is linearly upsampled.
    Pixels outside the primary field (P = 0) emit no scatter but receive it.
    """
    if primary_signal.shape != thickness_cm.shape or primary_signal.ndim != 2:
        raise ValueError("primary and thickness must be 2-D images of the same shape")
    py, px = _pair(pixel_mm)
    source = spr_broad_beam(thickness_cm, kvp) * primary_signal
    body = thickness_cm > 1.0
    t_rep = float(np.median(thickness_cm[body])) if np.any(body) else 0.0
    sigma = scatter_sigma_mm(t_rep, air_gap_mm)
    fy = max(1, int(round(step_mm / py)))
    fx = max(1, int(round(step_mm / px)))
    rows, cols = source.shape
    pr, pc = (-rows) % fy, (-cols) % fx
    padded = np.pad(source, ((0, pr), (0, pc)), mode="edge")
    coarse = padded.reshape(padded.shape[0] // fy, fy, padded.shape[1] // fx, fx).mean(axis=(1, 3))
    blurred = ndimage.gaussian_filter(coarse, sigma=(sigma / (py * fy), sigma / (px * fx)), mode="constant",
                                      cval=0.0, truncate=4.0)
    # upsample: coarse cell centres sit at (i + 0.5)·f − 0.5 in fine pixel coordinates
    yy = (np.arange(rows) + 0.5) / fy - 0.5
    xx = (np.arange(cols) + 0.5) / fx - 0.5
    out = ndimage.map_coordinates(blurred, np.meshgrid(yy, xx, indexing="ij"), order=1, mode="nearest")
    return out.astype(np.float32)


@dataclass(frozen=True)
class AntiScatterGrid:
    """Linear focused (or parallel) anti-scatter grid in front of the detector.

    ``strips_along`` names the detector axis the lead strips run along ("v": strips vertical on the image,
    focusing across columns). ``lateral_offset_mm`` shifts the grid centre line across the strips.
    ``primary_transmission``/``scatter_transmission`` default to :data:`TYPICAL_GRIDS` (interpolated).
    """

    ratio: float = 10.0
    focus_distance_mm: float | None = 1000.0  # None: parallel grid
    primary_transmission: float | None = None
    scatter_transmission: float | None = None
    strips_along: str = "v"
    upside_down: bool = False
    lateral_offset_mm: float = 0.0

    @property
    def tp(self) -> float:
        if self.primary_transmission is not None:
            return self.primary_transmission
        r = sorted(TYPICAL_GRIDS)
        return float(np.interp(self.ratio, r, [TYPICAL_GRIDS[k][0] for k in r]))

    @property
    def ts(self) -> float:
        if self.scatter_transmission is not None:
            return self.scatter_transmission
        r = sorted(TYPICAL_GRIDS)
        return float(np.interp(self.ratio, r, [TYPICAL_GRIDS[k][1] for k in r]))

    @property
    def selectivity(self) -> float:
        """Tp / Ts."""
        return self.tp / self.ts


def grid_primary_transmission(geometry: FlatPanelGeometry, grid: AntiScatterGrid) -> np.ndarray:
    """(rows, cols) primary transmission of ``grid`` including off-focus / decentring cut-off."""
    if grid.strips_along not in ("u", "v"):
        raise ValueError("strips_along must be 'u' or 'v'")
    across = np.asarray(geometry.u if grid.strips_along == "v" else geometry.v, dtype=np.float64)
    pts = geometry.pixel_centres()
    centre = np.asarray(geometry.detector_centre_mm, float) + grid.lateral_offset_mm * across
    x = (pts - centre) @ across  # position across the strips
    src = np.asarray(geometry.source_mm, float)
    d_s = geometry.sid_mm
    b = float((src - centre) @ across)  # lateral source offset from the grid centre line
    tan_ray = (x - b) / d_s
    if grid.focus_distance_mm is None:
        tan_strip = np.zeros_like(x)
    else:
        tan_strip = (-x if grid.upside_down else x) / grid.focus_distance_mm
    return (grid.tp * np.clip(1.0 - grid.ratio * np.abs(tan_ray - tan_strip), 0.0, 1.0)).astype(np.float32)
