"""Topogram (scout): stationary tube, table moving, one fan projection per z line.

Same beam (spectrum, bowtie, detector) and the same tracer as the axial projector: each voxel slice is
projected once from a fixed gantry angle (AP: tube anterior, β = 0; lateral: tube on the patient's left,
β = 90°). The water-corrected line integrals give, per z, the water-equivalent area
``A_w = Σ_c (p_c/μ_ref)·Δs_c`` (Δs at the isocentre) and D_w = 2√(A_w/π) — the projection route to
the water-equivalent diameter of AAPM Report 220 (McCollough C et al. Use of water equivalent diameter
for calculating patient size and size-specific dose estimates (SSDE) in CT, 2014). The lateral width and
the AP water-equivalent thickness (max p/μ_ref) shape the angular tube-current modulation.
Magnification is taken at the isocentre (a centred patient); off-centre patients bias it (AAPM 220 §4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scanroom.physics.ct.geometry import FanBeamGeometry
from scanroom.physics.ct.projector import (
    Beam,
    SlicePaths,
    _material_stack,
    _prune,
    _trace_kernel,
    bh_correct,
    make_beam,
    render,
)
from scanroom.physics.phantom import Phantom

__all__ = ["Topogram", "ScoutSizes", "acquire_topogram", "sizes", "check_range"]

_VIEWS = {"ap": 0.0, "lateral": np.pi / 2}


@dataclass(frozen=True, eq=False)
class Topogram:
    """Scout image: water-corrected line integrals (μ_ref·cm), rows = z (ascending), columns = channels."""

    view: str
    image: np.ndarray  # (n_z, n_channels) float32
    z_mm: np.ndarray  # (n_z,)
    lateral_mm: np.ndarray  # (n_channels,) ray position at the isocentre plane, R·tan γ
    mu_ref_cm: float
    kvp: float
    mas_per_line: float


@dataclass(frozen=True, eq=False)
class ScoutSizes:
    """Patient size along z from a topogram."""

    z_mm: np.ndarray
    wed_cm: np.ndarray  # water-equivalent diameter (AAPM 220), projection method
    width_cm: np.ndarray  # extent of the shadow across the detector (lateral width on an AP scout)
    thickness_cm: np.ndarray  # water-equivalent thickness along the beam (max over channels)


def acquire_topogram(
    phantom: Phantom,
    geometry: FanBeamGeometry,
    *,
    view: str = "ap",
    kvp: float = 120.0,
    ma: float = 35.0,
    table_speed_mm_s: float = 100.0,
    bowtie: str = "body",
    noise: bool = True,
    seed: int = 0,
) -> Topogram:
    """Topogram of the whole phantom length, one line per voxel slice."""
    if view not in _VIEWS:
        raise ValueError(f"view must be 'ap' or 'lateral', got {view!r}")
    if ma <= 0 or table_speed_mm_s <= 0:
        raise ValueError("mA and table speed must be positive")
    beam: Beam = make_beam(geometry, float(kvp), bowtie)
    dz, dy, dx = phantom.voxel_mm
    nz = phantom.shape[0]
    slices = np.arange(nz)
    mats, stack, umap = _material_stack([phantom], slices)
    mats, stack = _prune(mats, stack)
    x0, y0, z0 = phantom.origin_mm
    nu = stack.shape[2]
    out = np.zeros((1, geometry.n_channels, nu, len(mats)), dtype=np.float32)
    _trace_kernel(np.ascontiguousarray(stack), len(mats), x0 - dx / 2, y0 - dy / 2, float(dx), float(dy),
                  geometry.source_iso_mm, geometry.gammas(), np.array([_VIEWS[view]]), 3, geometry.delta_gamma_rad, out)
    lengths = np.ascontiguousarray(out[0].transpose(1, 0, 2)[umap[0]][:, :, None, :])  # (nz, n_c, 1, n_m)
    ones = np.ones((nz, 1), dtype=np.float32)
    paths = SlicePaths(tuple(mats), lengths, np.ones((nz, 1, 1), np.float32), ones, ones,
                       np.full(nz, _VIEWS[view]), float(dz), 1.0, float(z0), geometry, bowtie)
    mas_line = ma * dz / table_speed_mm_s
    p = bh_correct(render(paths, beam, mas_line, noise=noise, seed=seed), beam)
    z = z0 + dz * slices
    lat = geometry.source_iso_mm * np.tan(geometry.gammas())
    return Topogram(view, p, z, lat, beam.mu_ref_cm, float(kvp), float(mas_line))


def sizes(topogram: Topogram, threshold_cm: float = 0.5) -> ScoutSizes:
    """Water-equivalent diameter, width and thickness per z line (AAPM 220, projection method).

    Channels whose water-equivalent path is below ``threshold_cm`` count as air (noise floor).
    """
    t_cm = topogram.image / topogram.mu_ref_cm  # water-equivalent path, cm
    ds_cm = np.gradient(topogram.lateral_mm) / 10.0
    body = t_cm > threshold_cm
    area = np.sum(np.where(body, t_cm, 0.0) * ds_cm[None, :], axis=1)
    wed = 2.0 * np.sqrt(area / np.pi)
    width = np.sum(body * ds_cm[None, :], axis=1)
    thick = np.max(np.where(body, t_cm, 0.0), axis=1)
    return ScoutSizes(topogram.z_mm.copy(), wed, width, thick)


def check_range(topogram: Topogram, start_mm: float, end_mm: float, threshold_cm: float = 0.5) -> None:
    """Raise ValueError unless the planned range lies on the patient (some body on every line)."""
    if end_mm < start_mm:
        raise ValueError("range end is below its start")
    z = topogram.z_mm
    dz = float(z[1] - z[0]) if z.size > 1 else 1.0
    if start_mm < z[0] - dz / 2 or end_mm > z[-1] + dz / 2:
        raise ValueError(f"scan range {start_mm:.0f}-{end_mm:.0f} mm is off the patient "
                         f"(topogram covers {z[0]:.0f}-{z[-1]:.0f} mm)")
    s = sizes(topogram, threshold_cm)
    inside = (z >= start_mm - dz / 2) & (z <= end_mm + dz / 2)
    if np.any(s.wed_cm[inside] <= 0.0):
        raise ValueError(f"scan range {start_mm:.0f}-{end_mm:.0f} mm is off the patient (no body in part of it)")
