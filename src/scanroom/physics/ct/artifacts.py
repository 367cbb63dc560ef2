"""CT artefacts: the scenarios that provoke them and the measurements that quantify them.

Nothing here paints an artefact onto an image: each one arises in the projector/reconstruction when the
physics that causes it is present (Hsieh, Computed Tomography, ch. 7 "Image artifacts"; Barrett JF,
Keat N. Artifacts in CT: recognition and avoidance. RadioGraphics 2004;24:1679):

- beam hardening: polyenergetic Beer–Lambert with the water correction off (cupping; bowtie-dependent
  non-uniformity) or with dense non-water objects that the water correction cannot linearise (dark
  streaks between them) — :func:`with_cylinders` adds bone/metal rods;
- metal: a titanium or steel implant (:func:`with_cylinders`) — beam hardening plus photon starvation
  behind it (clipped signals → bright/dark streaks);
- motion: a different breathing phase per group of views (``trace_slice(view_phase=...)`` with
  :func:`breathing_schedule`);
- partial volume: thick slices / wide rows straddling an edge (intensities average within a row before
  the log);
- ring: a detector channel whose gain drifts after the air calibration (:func:`channel_gains`);
- photon starvation: too few photons along the longest paths (shoulders) at low mA;
- truncation: anatomy outside the scan FOV (missing data at the detector edge) — :func:`truncated_fraction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from scanroom.physics import materials
from scanroom.physics.ct.recon import image_grid
from scanroom.physics.phantom import Phantom

__all__ = [
    "with_cylinders",
    "channel_gains",
    "breathing_schedule",
    "roi_mask",
    "roi_stats",
    "cupping_hu",
    "ring_amplitude_hu",
    "streak_sd_hu",
    "truncated_fraction",
    "starved_fraction",
]


def with_cylinders(
    phantom: Phantom,
    centres_mm: Sequence[tuple[float, float]],
    radius_mm: float,
    material: str,
    z_range_mm: tuple[float, float] | None = None,
    name: str = "implant",
) -> Phantom:
    """Copy of ``phantom`` with z-aligned rods of ``material`` (e.g. titanium, stainless-steel, cortical-bone)."""
    materials.get_material(material)
    if radius_mm <= 0:
        raise ValueError("radius must be positive")
    dz, dy, dx = phantom.voxel_mm
    x0, y0, z0 = phantom.origin_mm
    nz, ny, nx = phantom.shape
    x = x0 + dx * np.arange(nx)
    y = y0 + dy * np.arange(ny)
    z = z0 + dz * np.arange(nz)
    inside_xy = np.zeros((ny, nx), dtype=bool)
    for cx, cy in centres_mm:
        inside_xy |= (x[None, :] - cx) ** 2 + (y[:, None] - cy) ** 2 <= radius_mm**2
    zsel = np.ones(nz, bool) if z_range_mm is None else (z >= z_range_mm[0]) & (z <= z_range_mm[1])
    label = max(phantom.label_materials) + 1
    if label > 255 and phantom.labels.dtype == np.uint8:
        raise ValueError("no free label value")
    labels = phantom.labels.copy()
    labels[zsel] = np.where(inside_xy[None], label, labels[zsel])
    mats = dict(phantom.label_materials)
    mats[label] = material
    names = dict(phantom.label_names)
    names[label] = name
    return replace(phantom, labels=labels, label_materials=mats, label_names=names,
                   description=phantom.description + f"; {name} ({material})")


def channel_gains(n_channels: int, bad: Sequence[int], error: float = 0.02) -> np.ndarray:
    """Relative channel gains: 1 except ``bad`` channels, off by ``error`` (e.g. 0.02 = +2 %)."""
    g = np.ones(n_channels)
    for c in bad:
        if not 0 <= c < n_channels:
            raise ValueError(f"channel {c} outside 0-{n_channels - 1}")
        g[c] = 1.0 + error
    if np.any(g <= 0):
        raise ValueError("gains must stay positive")
    return g


def breathing_schedule(n_views: int, n_phases: int) -> np.ndarray:
    """Phantom index per view when the phase steps through ``n_phases`` groups during one rotation."""
    if n_phases < 1 or n_views < n_phases:
        raise ValueError("need 1 <= n_phases <= n_views")
    return np.minimum((np.arange(n_views) * n_phases) // n_views, n_phases - 1)


def roi_mask(matrix: int, fov_mm: float, centre_mm: tuple[float, float], radius_mm: float,
             inner_mm: float = 0.0, image_centre_mm: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Circular (or annular, with ``inner_mm``) ROI on a reconstruction grid."""
    x, y = image_grid(matrix, fov_mm, image_centre_mm)
    r2 = (x[None, :] - centre_mm[0]) ** 2 + (y[:, None] - centre_mm[1]) ** 2
    return (r2 <= radius_mm**2) & (r2 >= inner_mm**2)


def roi_stats(hu: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(mean, standard deviation) in a ROI."""
    v = hu[mask]
    if v.size == 0:
        raise ValueError("empty ROI")
    return float(v.mean()), float(v.std())


def cupping_hu(hu: np.ndarray, fov_mm: float, object_radius_mm: float) -> float:
    """Edge minus centre (HU) of a centred uniform object: > 0 means cupping (IEC 61223-3-5 style ROIs).

    Centre ROI radius 10 % of the object; edge annulus from 75 % to 90 % of its radius.
    """
    n = hu.shape[0]
    c, _ = roi_stats(hu, roi_mask(n, fov_mm, (0, 0), 0.1 * object_radius_mm))
    e, _ = roi_stats(hu, roi_mask(n, fov_mm, (0, 0), 0.9 * object_radius_mm, 0.75 * object_radius_mm))
    return e - c


def ring_amplitude_hu(hu: np.ndarray, fov_mm: float, radius_mm: float, width_mm: float = 1.5) -> float:
    """Mean HU on a thin annulus at ``radius_mm`` minus the mean of its two neighbouring annuli."""
    n = hu.shape[0]
    on, _ = roi_stats(hu, roi_mask(n, fov_mm, (0, 0), radius_mm + width_mm / 2, radius_mm - width_mm / 2))
    inner, _ = roi_stats(hu, roi_mask(n, fov_mm, (0, 0), radius_mm - 2 * width_mm, radius_mm - 4 * width_mm))
    outer, _ = roi_stats(hu, roi_mask(n, fov_mm, (0, 0), radius_mm + 4 * width_mm, radius_mm + 2 * width_mm))
    return on - 0.5 * (inner + outer)


def streak_sd_hu(hu: np.ndarray, mask: np.ndarray, reference: np.ndarray | None = None) -> float:
    """Standard deviation in a ROI of a uniform material (of ``hu − reference`` if given)."""
    d = hu if reference is None else hu - reference
    return roi_stats(d, mask)[1]


def truncated_fraction(p: np.ndarray, threshold: float = 0.05, edge_channels: int = 2) -> float:
    """Fraction of views whose outermost channels still see attenuation (patient beyond the scan FOV)."""
    edge = np.concatenate([p[:, :edge_channels], p[:, -edge_channels:]], axis=1)
    return float(np.mean(np.max(edge, axis=1) > threshold))


def starved_fraction(quanta: np.ndarray, limit: float = 20.0) -> float:
    """Fraction of readings with fewer than ``limit`` equivalent quanta (:func:`render_with_quanta`)."""
    return float(np.mean(quanta < limit))
