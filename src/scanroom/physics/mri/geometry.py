"""Slice geometry and sampling of the phantom onto a slice (partial volume by slice-profile averaging).

Display convention (radiological, matches DICOM LPS): axial images have columns running patient right →
left (+x) and rows anterior → posterior (+y); sagittal columns anterior → posterior (+y), rows superior →
inferior (−z); coronal columns right → left (+x), rows superior → inferior (−z). ``tilt_deg`` rotates the
plane about its column axis (oblique slices). Internally a slice is an array ``(phase, read)``.

Partial volume: the slice profile is a rectangle of the slice thickness; the signal of a pixel is the
thickness-weighted average of the complex tissue signals it contains (voxel-overlap weights along the slice
normal for axis-aligned slices, midpoint-rule sub-slices for oblique ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from scanroom.physics.phantom import Phantom

__all__ = ["Orientation", "SliceGeometry", "SlicePlane", "slice_planes", "sample_plane", "labels_on_grid"]

Orientation = Literal["axial", "sagittal", "coronal"]
_UVN: dict[str, tuple[tuple[float, float, float], ...]] = {
    "axial": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "sagittal": ((0.0, 1.0, 0.0), (0.0, 0.0, -1.0), (1.0, 0.0, 0.0)),
    "coronal": ((1.0, 0.0, 0.0), (0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
}
# phase-encoding direction letters -> in-plane axis ("u" = columns/horizontal, "v" = rows/vertical)
_PHASE_AXIS = {"axial": {"RL": "u", "AP": "v"}, "sagittal": {"AP": "u", "SI": "v"},
               "coronal": {"RL": "u", "SI": "v"}}
_DEFAULT_PHASE = {"axial": "RL", "sagittal": "AP", "coronal": "RL"}
MAX_MATRIX = 1024


@dataclass(frozen=True)
class SliceGeometry:
    """Prescribed slice stack: orientation, FOV, matrix, phase direction, thickness, gap."""

    orientation: Orientation = "axial"
    fov_read_mm: float = 240.0
    fov_phase_mm: float = 240.0
    matrix_read: int = 256
    matrix_phase: int = 256
    phase_dir: str | None = None  # "RL", "AP" or "SI" (must lie in the plane); None = orientation default
    slice_thickness_mm: float = 5.0
    slice_gap_mm: float = 1.0
    n_slices: int = 1
    center_mm: tuple[float, float, float] | None = None  # LPS centre of the stack; None = phantom centre
    tilt_deg: float = 0.0  # oblique: rotation of the plane about its column axis
    phase_oversampling: float = 0.0  # extra phase FOV acquired then discarded (0–1), prevents wrap

    @property
    def phase_direction(self) -> str:
        return self.phase_dir or _DEFAULT_PHASE[self.orientation]

    @property
    def pixel_mm(self) -> tuple[float, float]:
        """(phase, read) pixel size."""
        return (self.fov_phase_mm / self.matrix_phase, self.fov_read_mm / self.matrix_read)

    @property
    def phase_is_vertical(self) -> bool:
        return _PHASE_AXIS[self.orientation][self.phase_direction] == "v"

    @property
    def phase_lines(self) -> int:
        """Phase-encoding lines including phase oversampling (before partial Fourier / acceleration)."""
        return int(round(self.matrix_phase * (1.0 + self.phase_oversampling)))

    def validate(self, min_pixel_mm: float = 0.1) -> None:
        """Raise ``ValueError`` for an impossible prescription."""
        if self.orientation not in _UVN:
            raise ValueError(f"orientation must be axial, sagittal or coronal, got {self.orientation!r}")
        if self.phase_direction not in _PHASE_AXIS[self.orientation]:
            ok = "/".join(_PHASE_AXIS[self.orientation])
            raise ValueError(f"phase direction {self.phase_direction!r} is not in the {self.orientation} plane "
                             f"(use {ok})")
        for name in ("fov_read_mm", "fov_phase_mm", "slice_thickness_mm"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be positive, got {v}")
        if not 10 <= self.fov_read_mm <= 600 or not 10 <= self.fov_phase_mm <= 600:
            raise ValueError("FOV must be 10–600 mm")
        for name in ("matrix_read", "matrix_phase"):
            n = getattr(self, name)
            if not 16 <= n <= MAX_MATRIX or n % 2:
                raise ValueError(f"{name} must be an even number from 16 to {MAX_MATRIX}, got {n}")
        px = min(self.pixel_mm)
        if px < min_pixel_mm - 1e-12:
            raise ValueError(f"matrix too large for the FOV: {px:.3f} mm pixels are below the {min_pixel_mm:.3f} mm "
                             "the gradients allow at this bandwidth; enlarge the FOV, reduce the matrix or lower "
                             "the bandwidth")
        if not 0.3 <= self.slice_thickness_mm <= 20:
            raise ValueError(f"slice thickness must be 0.3–20 mm, got {self.slice_thickness_mm:g}")
        if self.slice_gap_mm < 0 or not 1 <= self.n_slices <= 256:
            raise ValueError("slice gap must be ≥ 0 and the number of slices 1–256")
        if not 0 <= self.phase_oversampling <= 1:
            raise ValueError("phase oversampling must be 0–1 (0–100 %)")
        if abs(self.tilt_deg) > 45:
            raise ValueError("oblique tilt must be within ±45°")


@dataclass(frozen=True)
class SlicePlane:
    """One slice: centre and unit vectors (LPS) of the read, phase and normal directions, display axes."""

    index: int
    center_mm: np.ndarray  # (x, y, z)
    e_read: np.ndarray
    e_phase: np.ndarray
    e_normal: np.ndarray
    row_dir: np.ndarray  # LPS direction of increasing column index in the displayed image (DICOM row cosine)
    col_dir: np.ndarray  # LPS direction of increasing row index (DICOM column cosine)


def _rot(axis: np.ndarray, deg: float) -> np.ndarray:
    a = axis / np.linalg.norm(axis)
    t = math.radians(deg)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(t) * K + (1 - math.cos(t)) * K @ K


def phantom_center_mm(ph: Phantom) -> np.ndarray:
    dz, dy, dx = ph.voxel_mm
    nz, ny, nx = ph.shape
    return np.asarray(ph.origin_mm, float) + np.array([(nx - 1) * dx, (ny - 1) * dy, (nz - 1) * dz]) / 2


def slice_planes(geom: SliceGeometry, ph: Phantom) -> list[SlicePlane]:
    """Centres and direction cosines of every slice of the stack (ordered along +normal)."""
    u, v, n = (np.array(a) for a in _UVN[geom.orientation])
    if geom.tilt_deg:
        R = _rot(u, geom.tilt_deg)
        v, n = R @ v, R @ n
    c0 = np.asarray(geom.center_mm, float) if geom.center_mm is not None else phantom_center_mm(ph)
    step = geom.slice_thickness_mm + geom.slice_gap_mm
    e_p, e_r = (v, u) if geom.phase_is_vertical else (u, v)
    out = []
    for i in range(geom.n_slices):
        c = c0 + n * (i - (geom.n_slices - 1) / 2) * step
        out.append(SlicePlane(i, c, e_r, e_p, n, u, v))
    return out


def _axis_of(e: np.ndarray) -> tuple[int, float] | None:
    """Phantom array axis (0=z, 1=y, 2=x) and sign if ``e`` is axis-aligned."""
    k = int(np.argmax(np.abs(e)))
    if abs(abs(e[k]) - 1.0) > 1e-9:
        return None
    return (2 - k, float(np.sign(e[k])))


def _indices(q: np.ndarray, origin: float, d: float, n: int) -> np.ndarray:
    i = np.rint((q - origin) / d).astype(np.int64)
    i[(i < 0) | (i >= n)] = n  # sentinel -> zero padding
    return i


def sample_plane(ph: Phantom, luts: np.ndarray, plane: SlicePlane, thickness_mm: float,
                 read_mm: np.ndarray, phase_mm: np.ndarray) -> np.ndarray:
    """Complex signal maps ``(G, len(phase_mm), len(read_mm))`` for ``G`` look-up tables ``luts (G, L)``.

    ``read_mm``/``phase_mm`` are in-plane coordinates from the slice centre; nearest-neighbour in plane,
    rectangular slice profile (voxel-overlap weights) through plane.
    """
    labels = ph.labels
    G = luts.shape[0]
    vox = np.asarray(ph.voxel_mm, float)  # (dz, dy, dx)
    org = np.asarray(ph.origin_mm, float)[::-1]  # (z, y, x) order to match array axes
    ctr = plane.center_mm[::-1]
    ar, an, ap = _axis_of(plane.e_read), _axis_of(plane.e_normal), _axis_of(plane.e_phase)
    lmax = int(luts.shape[1]) - 1
    if ar is not None and an is not None and ap is not None:
        a_n = an[0]
        lo, hi = ctr[a_n] - thickness_mm / 2, ctr[a_n] + thickness_mm / 2
        ks = np.arange(labels.shape[a_n])
        zk = org[a_n] + ks * vox[a_n]
        w = np.clip(np.minimum(zk + vox[a_n] / 2, hi) - np.maximum(zk - vox[a_n] / 2, lo), 0, None) / thickness_mm
        sel = np.nonzero(w > 1e-12)[0]
        other = [a for a in (0, 1, 2) if a != a_n]
        plane_shape = [labels.shape[a] for a in other]
        acc = np.zeros((G, plane_shape[0] + 1, plane_shape[1] + 1), np.complex64)
        for k in sel:
            lab = np.take(labels, k, axis=a_n)
            m = int(lab.max())
            lut = luts if m <= lmax else np.pad(luts, ((0, 0), (0, m - lmax)))
            acc[:, :-1, :-1] += w[k] * lut[:, lab]
        idx = {}
        for (a, s), q in ((ar, read_mm), (ap, phase_mm)):
            idx[a] = _indices(ctr[a] + s * q, org[a], vox[a], labels.shape[a])
        i0, i1 = idx[other[0]], idx[other[1]]
        if other[0] == ap[0]:
            return acc[:, i0[:, None], i1[None, :]]
        return np.swapaxes(acc[:, i0[:, None], i1[None, :]], 1, 2)
    # oblique: midpoint-rule sub-slices, nearest neighbour
    ns = max(1, int(math.ceil(thickness_mm / float(vox.min()))))
    ts = (np.arange(ns) + 0.5) / ns * thickness_mm - thickness_mm / 2
    P = (plane.center_mm[None, None, :] + phase_mm[:, None, None] * plane.e_phase
         + read_mm[None, :, None] * plane.e_read)
    out = np.zeros((G, len(phase_mm), len(read_mm)), np.complex64)
    shape = np.array(labels.shape)
    m = int(labels.max())
    lut = luts if m <= lmax else np.pad(luts, ((0, 0), (0, m - lmax)))
    lut = np.concatenate([lut, np.zeros((G, 1), lut.dtype)], axis=1)
    for t in ts:
        Q = (P + t * plane.e_normal)[..., ::-1]  # (z, y, x)
        ijk = np.rint((Q - org) / vox).astype(np.int64)
        inside = np.all((ijk >= 0) & (ijk < shape), axis=-1)
        lab = np.full(inside.shape, lut.shape[1] - 1, np.int64)
        ii = ijk[inside]
        lab[inside] = labels[ii[:, 0], ii[:, 1], ii[:, 2]]
        out += lut[:, lab] / ns
    return out


def labels_on_grid(ph: Phantom, plane: SlicePlane, read_mm: np.ndarray, phase_mm: np.ndarray) -> np.ndarray:
    """Ground-truth labels at the slice centre on a ``(phase, read)`` grid (0 outside the phantom)."""
    P = (plane.center_mm[None, None, :] + phase_mm[:, None, None] * plane.e_phase
         + read_mm[None, :, None] * plane.e_read)[..., ::-1]
    org = np.asarray(ph.origin_mm, float)[::-1]
    ijk = np.rint((P - org) / np.asarray(ph.voxel_mm, float)).astype(np.int64)
    inside = np.all((ijk >= 0) & (ijk < np.array(ph.labels.shape)), axis=-1)
    out = np.zeros(inside.shape, ph.labels.dtype)
    ii = ijk[inside]
    out[inside] = ph.labels[ii[:, 0], ii[:, 1], ii[:, 2]]
    return out
