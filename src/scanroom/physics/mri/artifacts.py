"""Artifacts as physics: each function is the mechanism, applied by :func:`.kspace.acquire` when enabled.

* Aliasing, Gibbs ringing and partial volume need no function: they follow from sampling k-space at
  Δk = 1/FOV (the object folds along phase), from truncating k-space at the matrix, and from averaging
  across the slice thickness (see :mod:`.kspace` and :mod:`.geometry`).
* Chemical-shift displacement: fat precesses Δf = δ·γ·B0 slower; the frequency-encoding maps Δf to a
  shift of Δf/BW_px pixels along the readout (Haacke §17.2; Bernstein §11.5). In EPI the shift is along
  phase with the much lower phase bandwidth 1/(ESP·N_lines).
* Susceptibility: ΔB_z/B0 = F⁻¹[(1/3 − k_z²/k²) F[Δχ]] (Salomir et al., Concepts Magn Reson B 2003;19:26;
  Marques & Bowtell, Concepts Magn Reson B 2005;25:65); it displaces signal (pile-up and voids) and, in
  gradient echoes, dephases within the voxel: |sinc(Δf_voxel·TE)| per axis.
* Motion ghosts: a periodic displacement d(t) multiplies each phase-encode line by e^{−i2πk·d(t_line)};
  periodic modulation in k_y replicates the object at multiples of N_y·TR/T_motion pixels (Wood & Henkelman,
  Med Phys 1985;12:143).
* Zipper: a constant RF leak at frequency f appears at read position f/BW_px in every line with a random
  phase → a dotted line along phase. Spike: one corrupted k-space sample → herringbone stripes.
* Coil non-uniformity: surface-coil sensitivity (see :mod:`.coils`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import ndimage

from scanroom.physics.mri.tissue import TissueTable, larmor_hz
from scanroom.physics.phantom import Phantom

__all__ = [
    "MotionSpec",
    "ArtifactSpec",
    "FieldMap",
    "susceptibility_field",
    "sphere_dipole_ppm",
    "displace",
    "intravoxel_dephasing",
    "motion_modulation",
    "zipper_kspace",
    "spike_kspace",
    "chemical_shift_px",
    "gibbs_overshoot",
]


@dataclass(frozen=True)
class MotionSpec:
    """Periodic rigid in-plane translation d(t) = A sin(2π t / T + φ0) (e.g. breathing, pulsation)."""

    amplitude_mm: float = 5.0
    period_s: float = 4.0
    axis: Literal["phase", "read"] = "read"
    phase0_rad: float = 0.0


@dataclass(frozen=True)
class ArtifactSpec:
    """Which physical effects to include (aliasing, Gibbs, partial volume and coil shading are always on)."""

    chemical_shift: bool = True
    susceptibility: bool = False
    motion: MotionSpec | None = None
    zipper_hz: float | None = None  # RF leak offset from the centre frequency
    zipper_amplitude: float = 0.05  # relative to fully relaxed water
    spike: tuple[float, float, float] | None = None  # (k_phase, k_read) in [-0.5, 0.5) of k_max·2, amplitude


@dataclass(frozen=True)
class FieldMap:
    """Susceptibility-induced field offset ΔB_z/B0 (ppm) on a (coarse) grid aligned with the phantom."""

    ppm: np.ndarray  # (z, y, x)
    voxel_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float]  # LPS of voxel (0, 0, 0) centre

    def hz(self, field_t: float) -> np.ndarray:
        return self.ppm * 1e-6 * larmor_hz(field_t)

    def sample(self, points_mm: np.ndarray) -> np.ndarray:
        """ΔB_z/B0 (ppm) at LPS points ``(..., 3)`` by trilinear interpolation (0 outside)."""
        q = (points_mm[..., ::-1] - np.asarray(self.origin_mm)[::-1]) / np.asarray(self.voxel_mm)
        coords = np.moveaxis(q, -1, 0).reshape(3, -1)
        v = ndimage.map_coordinates(self.ppm, coords, order=1, mode="constant", cval=0.0)
        return v.reshape(points_mm.shape[:-1])


def susceptibility_field(ph: Phantom, table: TissueTable, max_dim: int = 64, pad: int = 2) -> FieldMap:
    """Field map of the phantom's susceptibility distribution by the Fourier dipole kernel (B0 along z).

    The label volume is block-averaged to at most ``max_dim`` voxels per axis (the dipole moments are kept,
    so the far field is exact and the near field smoothed) and zero-padded ``pad``× against wrap-around.
    Δχ is taken relative to water so that water-like tissue is on resonance.
    """
    chi = np.asarray(table.susceptibility_ppm)[np.minimum(ph.labels, table.n_labels - 1)]
    chi = np.where(ph.labels < table.n_labels, chi, 0.36) - (-9.05)
    f = [max(1, int(np.ceil(n / max_dim))) for n in chi.shape]
    shp = [int(np.ceil(n / k)) * k for n, k in zip(chi.shape, f, strict=True)]
    chi = np.pad(chi, [(0, s - n) for s, n in zip(shp, chi.shape, strict=True)], constant_values=0.36 + 9.05)
    coarse = chi.reshape(shp[0] // f[0], f[0], shp[1] // f[1], f[1], shp[2] // f[2], f[2]).mean(axis=(1, 3, 5))
    vz, vy, vx = (float(v) * k for v, k in zip(ph.voxel_mm, f, strict=True))
    vox = (vz, vy, vx)
    n = coarse.shape
    big = [pad * s for s in n]
    # pad with air (the phantom is surrounded by air): embed in an air box
    box = np.full(big, 0.36 + 9.05)
    sl = tuple(slice((b - s) // 2, (b - s) // 2 + s) for b, s in zip(big, n, strict=True))
    box[sl] = coarse
    kz, ky, kx = np.meshgrid(*(np.fft.fftfreq(b, d) for b, d in zip(big, vox, strict=True)), indexing="ij")
    k2 = kz**2 + ky**2 + kx**2
    with np.errstate(invalid="ignore", divide="ignore"):
        D = 1.0 / 3.0 - np.where(k2 > 0, kz**2 / k2, 0.0)
    D[0, 0, 0] = 0.0
    field = np.real(np.fft.ifftn(D * np.fft.fftn(box)))[sl]
    # origin of the coarse grid: centre of the first block
    org = np.asarray(ph.origin_mm, float) + (np.array(f[::-1]) - 1) / 2 * np.asarray(ph.voxel_mm, float)[::-1]
    return FieldMap(field, vox, (float(org[0]), float(org[1]), float(org[2])))


def sphere_dipole_ppm(points_mm: np.ndarray, center_mm: np.ndarray, radius_mm: float,
                      delta_chi_ppm: float) -> np.ndarray:
    """Analytic field of a uniformly magnetised sphere, B0 ∥ z (with Lorentz-sphere correction).

    ΔB_z/B0 = Δχ/3 · (a/r)³ (3cos²θ − 1) outside, 0 inside (Schenck, Med Phys 1996;23:815, eq. 25).
    """
    r = points_mm - center_mm
    rr = np.linalg.norm(r, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos2 = np.where(rr > 0, (r[..., 2] / rr) ** 2, 0.0)
        out = delta_chi_ppm / 3.0 * (radius_mm / rr) ** 3 * (3 * cos2 - 1)
    return np.where(rr > radius_mm, out, 0.0)


def displace(img: np.ndarray, shift_px: np.ndarray | float, axis: int) -> np.ndarray:
    """Move each pixel's signal by ``shift_px`` along ``axis`` (forward linear splatting).

    Where neighbouring pixels converge the signal piles up, where they diverge a void opens — the
    intensity change equals the Jacobian of the mapping, as in real off-resonance distortion.
    """
    a = np.moveaxis(np.asarray(img), axis, -1)
    s = np.moveaxis(np.broadcast_to(shift_px, img.shape), axis, -1)
    n = a.shape[-1]
    pos = np.arange(n) + s
    i0 = np.floor(pos).astype(np.int64)
    w1 = pos - i0
    flat = a.reshape(-1, n)
    rows = np.repeat(np.arange(flat.shape[0]), n).reshape(flat.shape)
    out = np.zeros_like(flat)
    for idx, w in ((i0.reshape(flat.shape), 1 - w1.reshape(flat.shape)), (i0.reshape(flat.shape) + 1,
                                                                           w1.reshape(flat.shape))):
        ok = (idx >= 0) & (idx < n)
        np.add.at(out, (rows[ok], idx[ok]), flat[ok] * w[ok])
    return np.moveaxis(out.reshape(a.shape), -1, axis)


def intravoxel_dephasing(grad_hz_per_mm: np.ndarray, voxel_mm: np.ndarray, te_ms: float) -> np.ndarray:
    """Gradient-echo signal fraction |Π_axes sinc(∂f/∂x_i · Δx_i · TE)| for a linear field across the voxel.

    ``grad_hz_per_mm (..., 3)`` and ``voxel_mm (3,)`` along the same three axes (Haacke §20.2).
    """
    x = grad_hz_per_mm * np.asarray(voxel_mm) * te_ms * 1e-3
    return np.abs(np.prod(np.sinc(x), axis=-1))


def chemical_shift_px(ppm: float, field_t: float, bandwidth_hz_px: float) -> float:
    """Displacement (pixels, + = toward higher frequency) of a species at ``ppm`` relative to water."""
    return ppm * 1e-6 * larmor_hz(field_t) / bandwidth_hz_px


def motion_modulation(line_times_s: np.ndarray, k_phase: np.ndarray, k_read: np.ndarray,
                      motion: MotionSpec) -> np.ndarray:
    """Complex factor ``(n_lines, n_read)`` e^{−i2π k·d(t)} for k in cycles/mm (lines acquired at given times)."""
    d = motion.amplitude_mm * np.sin(2 * np.pi * line_times_s / motion.period_s + motion.phase0_rad)
    if motion.axis == "phase":
        return np.exp(-2j * np.pi * (k_phase * d))[:, None] * np.ones((1, len(k_read)))
    return np.exp(-2j * np.pi * d[:, None] * k_read[None, :])


def zipper_kspace(n_phase: int, n_read: int, offset_px: float, amplitude: float,
                  rng: np.random.Generator) -> np.ndarray:
    """k-space of an RF leak: a signal at read position ``offset_px`` (from centre) with random phase per line."""
    ph = np.exp(2j * np.pi * rng.random(n_phase))
    kr = np.arange(n_read) - n_read // 2
    # image: column at offset_px with amplitude * random phasor per row; centred-FFT convention
    col = np.fft.fftshift(np.fft.fft(np.fft.ifftshift(amplitude * ph)))
    return col[:, None] * np.exp(-2j * np.pi * kr * offset_px / n_read)[None, :] * 1.0


def spike_kspace(shape: tuple[int, int], k_phase: float, k_read: float, amplitude: float) -> np.ndarray:
    """A single bad k-space sample (herringbone): ``k_*`` as fractions of the matrix from the centre."""
    out = np.zeros(shape, np.complex128)
    j = int(round(shape[0] // 2 + k_phase * shape[0])) % shape[0]
    i = int(round(shape[1] // 2 + k_read * shape[1])) % shape[1]
    out[j, i] = amplitude
    return out


def gibbs_overshoot(profile: np.ndarray, plateau: float, baseline: float = 0.0) -> float:
    """Largest overshoot of a step response above its plateau, as a fraction of the step height."""
    return float((np.max(profile) - plateau) / (plateau - baseline))
