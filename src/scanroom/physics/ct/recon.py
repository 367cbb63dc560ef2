"""Filtered back-projection (parallel and equiangular fan beam) and an iterative OS-SART option.

Filtering: the band-limited ramp of Kak & Slaney (ch. 3, eq. 61: h(0) = 1/4τ², h(odd n) = −1/(nπτ)²,
0 for even n ≠ 0) is transformed with zero padding and multiplied by the kernel's apodisation window
(a function of spatial frequency at the isocentre). Fan beam, equiangular detector (K&S §3.4.2):
projections are weighted by ``R·cos γ``, convolved with ``g(γ) = ½(γ/sin γ)² h(γ)`` and back-projected with
the ``1/L²`` weight over 360°. Back-projection is pixel-driven with linear interpolation (numba,
parallel over image rows); the fan angle of each pixel comes from a fine ``tan γ → channel`` table, so
no arctangent is evaluated in the inner loop.

Kernels (apodised ramps; ``W(f)`` multiplies the ramp, f in line pairs per cm at the isocentre):

=========  ===============================================  ==============  ==================
kernel     window                                           window MTF50    system MTF50 / 10
=========  ===============================================  ==============  ==================
soft       Hann, cut-off 7 lp/cm                            3.5 lp/cm       3.1 / 5.1 lp/cm
standard   Hann, cut-off 10 lp/cm                           5.0             3.8 / 6.6
lung       Hann × (1 + 0.3·sin(πf/14)), cut-off 14 lp/cm    8.0             4.9 / 7.4
bone       Hann × (1 + 0.6·sin(πf/18)), cut-off 18 lp/cm    11.1            5.7 / 8.2
=========  ===============================================  ==============  ==================

"Window MTF50" is the apodisation alone (:func:`kernel_mtf50`). "System" is measured on the default
scanner (896 channels, 0.58 mm at the isocentre, 1000 views, rebinned FBP, 0.1 mm pixels) from the
line-spread function of a 0.1 mm wire 2 cm off centre whose projections are averaged over each
channel's aperture: channel sampling and interpolation cap the sharp kernels. Clinical body kernels span
roughly 3–7 lp/cm MTF50; the windows are teaching choices in that spirit, not vendor kernels.

Kak AC, Slaney M. Principles of Computerized Tomographic Imaging. IEEE Press 1988 (SIAM 2001), ch. 3.
Hudson HM, Larkin RS. Accelerated image reconstruction using ordered subsets of projection data.
IEEE Trans Med Imaging 1994;13:601 (ordered subsets); Andersen AH, Kak AC. Simultaneous algebraic
reconstruction technique (SART). Ultrason Imaging 1984;6:81.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numba as nb
import numpy as np
from scipy import fft as sfft

from scanroom.physics.ct.geometry import FanBeamGeometry

__all__ = [
    "KERNELS",
    "kernel_window",
    "kernel_mtf50",
    "ramp_filter",
    "filter_parallel",
    "backproject_parallel",
    "fbp_parallel",
    "fbp_fan",
    "rebin_fan_to_parallel",
    "forward_project_fan",
    "os_sart_fan",
    "image_grid",
    "to_hu",
]


def _hann(f: np.ndarray, fc: float) -> np.ndarray:
    return np.where(f < fc, 0.5 * (1.0 + np.cos(np.pi * np.minimum(f, fc) / fc)), 0.0)


def _boosted(fc: float, boost: float) -> Callable[[np.ndarray], np.ndarray]:
    def w(f: np.ndarray) -> np.ndarray:
        return _hann(f, fc) * (1.0 + boost * np.sin(np.pi * np.minimum(f, fc) / fc))

    return w


KERNELS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "ramp": lambda f: np.ones_like(f),
    "soft": lambda f: _hann(f, 7.0),
    "standard": lambda f: _hann(f, 10.0),
    "lung": _boosted(14.0, 0.3),
    "bone": _boosted(18.0, 0.6),
}


def kernel_window(kernel: str, f_lp_cm: np.ndarray) -> np.ndarray:
    """Apodisation window W(f) of a reconstruction kernel (f in lp/cm at the isocentre)."""
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}")
    return KERNELS[kernel](np.abs(np.asarray(f_lp_cm, dtype=np.float64)))


def kernel_mtf50(kernel: str) -> float:
    """Frequency (lp/cm) where the kernel window first falls to 0.5 (inf for the plain ramp)."""
    f = np.linspace(0.0, 40.0, 40001)
    w = kernel_window(kernel, f)
    below = np.flatnonzero(w < 0.5)
    return float(f[below[0]]) if below.size else math.inf


def ramp_filter(n_pad: int, spacing: float) -> np.ndarray:
    """rfft of the band-limited spatial-domain ramp (K&S eq. 61) for detector spacing ``spacing``."""
    n = np.concatenate([np.arange(0, n_pad // 2 + 1), np.arange(-(n_pad // 2) + 1, 0)])
    h = np.zeros(n_pad)
    h[0] = 1.0 / (4.0 * spacing**2)
    odd = n % 2 == 1
    h[odd] = -1.0 / (np.pi * n[odd] * spacing) ** 2
    return np.real(sfft.rfft(h)) * spacing


def _pad_len(n: int) -> int:
    return max(64, int(2 ** math.ceil(math.log2(2 * n))))


def filter_parallel(sinogram: np.ndarray, spacing_mm: float = 1.0, kernel: str = "ramp") -> np.ndarray:
    """Ramp-filter each view (rows of ``sinogram``, shape (n_views, n_det)) with the kernel window."""
    nv, nd = sinogram.shape
    n_pad = _pad_len(nd)
    filt = ramp_filter(n_pad, spacing_mm)
    f = sfft.rfftfreq(n_pad, d=spacing_mm) * 10.0  # lp/cm
    filt = (filt * kernel_window(kernel, f)).astype(np.float32)
    # float32 transforms: about half the time of float64, error ~1e-6 relative (far below the float32 BP)
    spec = sfft.rfft(np.asarray(sinogram, dtype=np.float32), n=n_pad, axis=1, workers=-1)
    spec *= filt
    return np.ascontiguousarray(sfft.irfft(spec, n=n_pad, axis=1, workers=-1)[:, :nd], dtype=np.float32)


_PAD = 2  # zero samples added at each detector edge: out-of-range positions read zeros, no branches


def _padded(q: np.ndarray) -> np.ndarray:
    out = np.zeros((q.shape[0], q.shape[1] + 2 * _PAD), dtype=np.float32)
    out[:, _PAD:-_PAD] = q
    return out


@nb.njit(cache=True, parallel=True, fastmath=True, boundscheck=False)
def _bp_parallel(qp, cos_t, sin_t, n, x0, y0, px, centre_det, radius, scale, out):
    """Pixel (j, i) at (x0 + i·px, y0 + j·px) in detector-spacing units reads s = x cos θ + y sin θ + centre.

    ``qp``: filtered views padded with _PAD zeros each side; only pixels within ``radius`` of the origin
    are computed (others 0). Speed notes: fixed-stride loops in two passes (indices, then accumulation)
    and *unsigned* indices (numba adds a negative-index wrap test for signed ones) let LLVM vectorise;
    together about 3x faster than a bounds-tested single loop. Views go in pairs (one row update per
    pair, two independent gathers in flight): about 15-20% faster again.
    """
    nv, ndp = qp.shape
    top = np.float32(ndp - 1.001)
    zero = np.float32(0.0)
    one = np.uint32(1)
    for j in nb.prange(n):
        y = y0 + j * px
        row = np.zeros(n, dtype=np.float32)
        ia = np.zeros(n, dtype=np.uint32)
        wa = np.zeros(n, dtype=np.float32)
        ib = np.zeros(n, dtype=np.uint32)
        wb = np.zeros(n, dtype=np.float32)
        h2 = radius * radius - y * y
        if h2 > 0.0:
            h = math.sqrt(h2)
            lo = np.uint64(min(max(0, int(math.ceil((-h - x0) / px))), n))
            hi = np.uint64(min(max(0, int(math.floor((h - x0) / px)) + 1), n))
            for v in range(0, nv - 1, 2):
                ca = np.float32(cos_t[v] * px)
                sa = np.float32(x0 * cos_t[v] + y * sin_t[v] + centre_det + _PAD)
                cb = np.float32(cos_t[v + 1] * px)
                sb = np.float32(x0 * cos_t[v + 1] + y * sin_t[v + 1] + centre_det + _PAD)
                for i in range(lo, hi):
                    fi = np.float32(i)
                    sv = min(max(sa + fi * ca, zero), top)
                    k = np.uint32(sv)
                    ia[i] = k
                    wa[i] = sv - np.float32(k)
                    sv = min(max(sb + fi * cb, zero), top)
                    k = np.uint32(sv)
                    ib[i] = k
                    wb[i] = sv - np.float32(k)
                qa = qp[v]
                qb = qp[v + 1]
                for i in range(lo, hi):
                    k = ia[i]
                    a = qa[k]
                    kb = ib[i]
                    b = qb[kb]
                    row[i] += (a + wa[i] * (qa[k + one] - a)) + (b + wb[i] * (qb[kb + one] - b))
            if nv % 2 == 1:
                v = nv - 1
                ca = np.float32(cos_t[v] * px)
                sa = np.float32(x0 * cos_t[v] + y * sin_t[v] + centre_det + _PAD)
                qa = qp[v]
                for i in range(lo, hi):
                    sv = min(max(sa + np.float32(i) * ca, zero), top)
                    k = np.uint32(sv)
                    a = qa[k]
                    row[i] += a + (sv - np.float32(k)) * (qa[k + one] - a)
        for i in range(n):
            out[j, i] = row[i] * scale


def backproject_parallel(q: np.ndarray, angles_rad: np.ndarray, output_size: int, centre: float | None = None,
                         circle: bool = True, image_centre: float | None = None, pixel: float = 1.0,
                         offset: tuple[float, float] = (0.0, 0.0), mask_radius: float | None = None) -> np.ndarray:
    """Pixel-driven linear-interpolation back-projection of filtered views, scaled by π/n_views.

    Lengths are in detector-spacing units. Pixel (row j, column i) sits at ``x = offset_x + (i − c)·pixel``,
    ``y = offset_y + (j − c)·pixel`` with ``c = image_centre`` (default ``(output_size − 1)/2``) and reads
    the view at ``s = x·cos θ + y·sin θ + centre`` (default centre ``(n_det − 1)/2``). scikit-image's
    ``radon``/``iradon`` use ``c = output_size // 2``, ``centre = n_det // 2`` and ``θ_ours = −θ_skimage``.
    The π/n scale is Δθ over 180°, or ½·Δθ over 360° (each line measured twice). Pixels farther than
    ``mask_radius`` (default: the inscribed circle if ``circle``, else none) from the origin are 0.
    """
    nv, nd = q.shape
    angles = np.asarray(angles_rad, dtype=np.float64)
    if angles.shape != (nv,):
        raise ValueError("one angle per view")
    c_det = (nd - 1) / 2.0 if centre is None else float(centre)
    c_img = (output_size - 1) / 2.0 if image_centre is None else float(image_centre)
    # circle: the inscribed circle of the image; otherwise every pixel (radius beyond the corners)
    if mask_radius is not None:
        radius = float(mask_radius)
    else:
        radius = output_size * pixel / 2.0 if circle else 4.0 * (output_size * pixel + math.hypot(*offset))
    out = np.empty((output_size, output_size), dtype=np.float32)
    _bp_parallel(_padded(q), np.cos(angles), np.sin(angles), int(output_size), offset[0] - c_img * pixel,
                 offset[1] - c_img * pixel, float(pixel), c_det, radius, math.pi / nv, out)
    return out


def fbp_parallel(sinogram: np.ndarray, angles_rad: np.ndarray, *, output_size: int | None = None,
                 centre: float | None = None, kernel: str = "ramp", spacing_mm: float = 1.0,
                 circle: bool = True, image_centre: float | None = None) -> np.ndarray:
    """Parallel-beam FBP of ``sinogram`` (n_views, n_det) over 180° (or 360°), pixel = detector spacing.

    Returns μ per unit of ``spacing_mm`` (per pixel when it is 1; the kernel window needs it in mm).
    K&S eq. (3.45): f = (π/K)·Σ_k Q_θk(x cos θk + y sin θk).
    """
    sino = np.asarray(sinogram)
    if sino.ndim != 2:
        raise ValueError("The sinogram must be 2-D (n_views, n_detectors)")
    if output_size is None:
        output_size = sino.shape[1]
    q = filter_parallel(sino, spacing_mm=spacing_mm, kernel=kernel)
    return backproject_parallel(q, angles_rad, output_size, centre, circle, image_centre)


# --------------------------------------------------------------------------------------- fan beam
def image_grid(matrix: int, fov_mm: float,
               centre_mm: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) pixel-centre coordinates (mm) of a reconstruction grid: column i ↔ x, row j ↔ y (LPS)."""
    px = fov_mm / matrix
    c = (matrix - 1) / 2.0
    x = centre_mm[0] + (np.arange(matrix) - c) * px
    y = centre_mm[1] + (np.arange(matrix) - c) * px
    return x, y


@nb.njit(cache=True, parallel=True, fastmath=True, boundscheck=False)
def _bp_fan(qp, sin_b, cos_b, radius, x0, y0, px, n, lut, t0, t_scale, weight_scale, fov_r2, out):
    """Weighted fan-beam back-projection; ``qp`` padded with _PAD zero channels each side, ``lut`` maps
    tan γ (uniform grid from t0, ``t_scale`` samples per unit) to the (unpadded) channel index."""
    nv, ncp = qp.shape
    nl = lut.size
    lut_top = np.float32(nl - 1.001)
    ch_top = np.float32(ncp - 1.001)
    one = np.uint32(1)
    for j in nb.prange(n):
        y = y0 + j * px
        row = np.zeros(n, dtype=np.float32)
        idx = np.zeros(n, dtype=np.uint32)
        wts = np.zeros(n, dtype=np.float32)
        wl = np.zeros(n, dtype=np.float32)
        for v in range(nv):
            sb = sin_b[v]
            cb = cos_b[v]
            a0 = np.float32(radius - x0 * sb + y * cb)
            b0 = np.float32(x0 * cb + y * sb)
            da = np.float32(-px * sb)
            db = np.float32(px * cb)
            for i in range(n):
                a = a0 + np.float32(i) * da
                b = b0 + np.float32(i) * db
                inv_a = np.float32(1.0) / a
                t = b * inv_a
                fl = (t - np.float32(t0)) * np.float32(t_scale)
                fl = min(max(fl, np.float32(0.0)), lut_top)
                k = np.uint32(fl)
                ch = lut[k] + (fl - np.float32(k)) * (lut[k + one] - lut[k]) + np.float32(2.0)
                ch = min(max(ch, np.float32(0.0)), ch_top)
                kk = np.uint32(ch)
                idx[i] = kk
                wts[i] = ch - np.float32(kk)
                wl[i] = inv_a * inv_a / (np.float32(1.0) + t * t)
            qv = qp[v]
            for i in range(n):
                kk = idx[i]
                q0 = qv[kk]
                row[i] += wl[i] * (q0 + wts[i] * (qv[kk + one] - q0))
        for i in range(n):
            x = x0 + i * px
            out[j, i] = row[i] * weight_scale if x * x + y * y <= fov_r2 else 0.0


def _fan_filter(p: np.ndarray, geometry: FanBeamGeometry, kernel: str) -> np.ndarray:
    """Cosine weighting and convolution with ½(γ/sin γ)² h(γ) (apodised), times Δγ; R in cm."""
    nv, nc = p.shape
    alpha = geometry.delta_gamma_rad
    r_cm = geometry.source_iso_mm / 10.0
    gam = geometry.gammas()
    pw = p * (r_cm * np.cos(gam))[None, :]
    n_pad = _pad_len(nc)
    n = np.concatenate([np.arange(0, n_pad // 2 + 1), np.arange(-(n_pad // 2) + 1, 0)])
    h = np.zeros(n_pad)
    h[0] = 1.0 / (4.0 * alpha**2)
    odd = n % 2 == 1
    h[odd] = -1.0 / (np.pi * n[odd] * alpha) ** 2
    f_iso = sfft.rfftfreq(n_pad, d=alpha) / r_cm  # cycles per cm at the isocentre
    h = sfft.irfft(sfft.rfft(h) * kernel_window(kernel, f_iso), n=n_pad)
    ang = n * alpha
    with np.errstate(invalid="ignore", divide="ignore"):
        fac = np.where(n == 0, 1.0, (ang / np.sin(ang)) ** 2)
    g = 0.5 * fac * h
    spec = sfft.rfft(pw.astype(np.float64), n=n_pad, axis=1, workers=-1)
    q = sfft.irfft(spec * sfft.rfft(g)[None, :], n=n_pad, axis=1, workers=-1)[:, :nc] * alpha
    return np.ascontiguousarray(q, dtype=np.float32)


def _channel_lut(geometry: FanBeamGeometry, n_lut: int = 8192) -> tuple[np.ndarray, float, float]:
    g_max = geometry.fan_angle_rad / 2.0 + 2 * geometry.delta_gamma_rad
    t_max = math.tan(g_max)
    t = np.linspace(-t_max, t_max, n_lut)
    g0 = float(geometry.gammas()[0])
    lut = (np.arctan(t) - g0) / geometry.delta_gamma_rad
    return lut.astype(np.float32), -t_max, (n_lut - 1) / (2 * t_max)


@lru_cache(maxsize=8)
def _rebin_table(geometry: FanBeamGeometry, n_views: int, angle0: float):
    r = geometry.source_iso_mm
    dg = geometry.delta_gamma_rad
    ds = r * dg
    g = geometry.gammas()
    s_max = r * math.sin(min(-g[0], g[-1]))
    n_half = int(math.floor(s_max / ds))
    s = np.arange(-n_half, n_half + 1) * ds
    gam = np.arcsin(s / r)
    d_beta = 2 * math.pi / n_views
    theta = angle0 + d_beta * np.arange(n_views)
    beta = theta[:, None] + gam[None, :]
    fv = (beta - angle0) / d_beta
    v0 = np.floor(fv).astype(np.int64)
    wv = (fv - v0).astype(np.float32)
    fc = (gam - g[0]) / dg
    c0 = np.clip(np.floor(fc).astype(np.int64), 0, g.size - 2)
    wc = (fc - c0).astype(np.float32)
    return theta, s, ds, v0 % n_views, (v0 + 1) % n_views, wv, c0, wc


def rebin_fan_to_parallel(p: np.ndarray, geometry: FanBeamGeometry, angles_rad: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray, float]:
    """Re-sort 360° fan data into a 180° parallel sinogram (K&S §3.4.3; Hsieh ch. 3).

    A fan ray (β, γ) is the parallel ray θ = β − γ, s = R·sin γ (``s = x cos θ + y sin θ``). Each parallel
    sample is interpolated bilinearly in (β, γ) on a uniform s grid of spacing R·Δγ, and the two
    redundant halves (θ, s) and (θ + π, −s) are averaged. Returns (sinogram (n/2, n_s), θ, Δs mm).
    """
    angles = np.asarray(angles_rad, dtype=np.float64)
    nv = angles.size
    if nv % 2 or nv < 4:
        raise ValueError("rebinning needs an even number of views over 360°")
    if np.max(np.abs(np.diff(angles) - 2 * math.pi / nv)) > 1e-6:
        raise ValueError("rebinning needs equally spaced views over 360°")
    theta, s, ds, va, vb, wv, c0, wc = _rebin_table(geometry, nv, float(angles[0]))
    pa = p[va, c0[None, :]] * (1 - wc) + p[va, c0[None, :] + 1] * wc
    pb = p[vb, c0[None, :]] * (1 - wc) + p[vb, c0[None, :] + 1] * wc
    par = pa * (1 - wv) + pb * wv
    half = nv // 2
    sino = 0.5 * (par[:half] + par[half:, ::-1])
    return np.ascontiguousarray(sino, dtype=np.float32), theta[:half], float(ds)


def fbp_fan(
    p: np.ndarray,
    geometry: FanBeamGeometry,
    angles_rad: np.ndarray,
    *,
    kernel: str = "standard",
    matrix: int = 512,
    fov_mm: float = 500.0,
    centre_mm: tuple[float, float] = (0.0, 0.0),
    method: str = "rebin",
) -> np.ndarray:
    """Fan-beam FBP over 360° → μ image (1/cm), shape (matrix, matrix), rows ↔ +y, columns ↔ +x.

    ``p``: (n_views, n_channels) line integrals (after beam-hardening correction) at gantry angles
    ``angles_rad`` (equally spaced over 2π). ``method="direct"``: weighted equiangular fan-beam FBP
    (K&S §3.4.2); ``"rebin"``: parallel re-sorting then parallel FBP over 180° (half the back-projection
    work, the usual approach of third-generation scanners). Pixels outside the scan FOV are 0.
    """
    p = np.asarray(p)
    if p.ndim != 2 or p.shape[1] != geometry.n_channels:
        raise ValueError("projections must be (n_views, n_channels) for this geometry")
    if p.shape[0] != np.asarray(angles_rad).size:
        raise ValueError("one angle per view")
    if fov_mm <= 0 or matrix < 8:
        raise ValueError("reconstruction FOV and matrix must be positive")
    if fov_mm > geometry.bore_mm:
        raise ValueError(f"reconstruction FOV {fov_mm} mm is larger than the bore ({geometry.bore_mm} mm)")
    if fov_mm > geometry.scan_fov_mm + 1e-6:
        raise ValueError(f"reconstruction FOV {fov_mm} mm exceeds the scan FOV ({geometry.scan_fov_mm} mm)")
    if math.hypot(*centre_mm) + fov_mm / 2 > geometry.scan_fov_mm / 2 + 1e-6:
        raise ValueError("reconstruction FOV must lie inside the scan FOV")
    if method not in ("rebin", "direct"):
        raise ValueError("method must be 'rebin' or 'direct'")
    angles = np.asarray(angles_rad, dtype=np.float64)
    if method == "rebin":
        sino, theta, ds = rebin_fan_to_parallel(p, geometry, angles)
        qpar = filter_parallel(sino, spacing_mm=ds, kernel=kernel) * 10.0  # 1/mm -> 1/cm
        return backproject_parallel(qpar, theta, int(matrix), centre=(sino.shape[1] - 1) / 2.0, circle=False,
                                    pixel=fov_mm / matrix / ds, offset=(centre_mm[0] / ds, centre_mm[1] / ds),
                                    mask_radius=geometry.scan_fov_mm / 2.0 / ds)
    q = _fan_filter(p, geometry, kernel)
    lut, t0, t_scale = _channel_lut(geometry)
    px_cm = fov_mm / matrix / 10.0
    x, y = image_grid(matrix, fov_mm, centre_mm)
    out = np.empty((matrix, matrix), dtype=np.float32)
    d_beta = 2.0 * math.pi / angles.size
    fov_r2 = (geometry.scan_fov_mm / 20.0) ** 2  # pixels outside the scan FOV stay 0 (−1000 HU)
    _bp_fan(_padded(q), np.sin(angles), np.cos(angles), geometry.source_iso_mm / 10.0, x[0] / 10.0, y[0] / 10.0, px_cm,
            int(matrix), lut, t0, t_scale, d_beta, fov_r2, out)
    return out


def _masked(img: np.ndarray, fov_mm: float, matrix: int, centre_mm: tuple[float, float], scan_fov_mm: float):
    x, y = image_grid(matrix, fov_mm, centre_mm)
    img[(x[None, :] ** 2 + y[:, None] ** 2) > (scan_fov_mm / 2) ** 2] = 0.0
    return img


def to_hu(mu_image: np.ndarray, mu_water_cm: float, mu_air_cm: float = 0.0) -> np.ndarray:
    """HU = 1000·(μ − μ_w)/(μ_w − μ_air) (air traced as vacuum, so μ_air = 0 by default)."""
    return (1000.0 * (mu_image - mu_water_cm) / (mu_water_cm - mu_air_cm)).astype(np.float32)


# ----------------------------------------------------------------------------- iterative (OS-SART)
@nb.njit(cache=True, parallel=True, fastmath=True)
def _fp_fan(img, x0, y0, px, sin_b, cos_b, radius, gammas, views, out):
    """Ray-driven forward projection (bilinear sampling at step px/2), lengths in cm."""
    n = img.shape[0]
    step = 0.5 * px
    half = (n - 1) / 2.0
    rmax = (n / 2.0) * px
    xc = x0 + half * px
    yc = y0 + half * px
    for vi in nb.prange(views.size):
        v = views[vi]
        sb = sin_b[v]
        cb = cos_b[v]
        sx = radius * sb
        sy = -radius * cb
        for c in range(gammas.size):
            sg = math.sin(gammas[c])
            cg = math.cos(gammas[c])
            dx = -cg * sb + sg * cb
            dy = cg * cb + sg * sb
            # intersect with the circle of radius rmax about the grid centre
            ox = sx - xc
            oy = sy - yc
            bq = ox * dx + oy * dy
            cq = ox * ox + oy * oy - rmax * rmax
            disc = bq * bq - cq
            if disc <= 0.0:
                out[vi, c] = 0.0
                continue
            sq = math.sqrt(disc)
            t = -bq - sq
            t_end = -bq + sq
            acc = 0.0
            while t < t_end:
                fx = (sx + t * dx - x0) / px
                fy = (sy + t * dy - y0) / px
                i = int(math.floor(fx))
                j = int(math.floor(fy))
                if i >= 0 and j >= 0 and i < n - 1 and j < n - 1:
                    wx = fx - i
                    wy = fy - j
                    acc += (1 - wy) * ((1 - wx) * img[j, i] + wx * img[j, i + 1]) + \
                        wy * ((1 - wx) * img[j + 1, i] + wx * img[j + 1, i + 1])
                t += step
            out[vi, c] = acc * step


def forward_project_fan(image: np.ndarray, geometry: FanBeamGeometry, angles_rad: np.ndarray, fov_mm: float,
                        views: np.ndarray | None = None) -> np.ndarray:
    """Line integrals of a μ image (1/cm) on the grid of :func:`fbp_fan` (centred), for ``views``."""
    n = image.shape[0]
    x, y = image_grid(n, fov_mm)
    angles = np.asarray(angles_rad, dtype=np.float64)
    vv = np.arange(angles.size) if views is None else np.asarray(views, dtype=np.int64)
    out = np.zeros((vv.size, geometry.n_channels), dtype=np.float32)
    _fp_fan(np.ascontiguousarray(image, dtype=np.float32), x[0] / 10, y[0] / 10, fov_mm / n / 10, np.sin(angles),
            np.cos(angles), geometry.source_iso_mm / 10, geometry.gammas(), vv, out)
    return out


@nb.njit(cache=True, parallel=True, fastmath=True)
def _bp_fan_plain(q, sin_b, cos_b, views, radius, x0, y0, px, n, lut, t0, t_scale, out):
    """Unweighted pixel-driven back-projection (approximate adjoint of the ray-driven projector)."""
    nl = lut.size
    nc = q.shape[1]
    for j in nb.prange(n):
        y = y0 + j * px
        for vi in range(views.size):
            v = views[vi]
            sb = sin_b[v]
            cb = cos_b[v]
            a = radius - x0 * sb + y * cb
            b = x0 * cb + y * sb
            for i in range(n):
                t = b / a
                fl = (t - t0) * t_scale
                k = int(fl)
                if k >= 0 and k < nl - 1:
                    ch = lut[k] + (fl - k) * (lut[k + 1] - lut[k])
                    kk = int(math.floor(ch))
                    if kk >= 0 and kk < nc - 1:
                        w = ch - kk
                        out[j, i] += q[vi, kk] + w * (q[vi, kk + 1] - q[vi, kk])
                a -= px * sb
                b += px * cb


def os_sart_fan(
    p: np.ndarray,
    geometry: FanBeamGeometry,
    angles_rad: np.ndarray,
    *,
    matrix: int = 256,
    fov_mm: float = 500.0,
    iterations: int = 3,
    subsets: int = 10,
    relaxation: float = 0.8,
    smoothing: float = 0.0,
    initial: np.ndarray | None = None,
    kernel: str = "standard",
) -> np.ndarray:
    """OS-SART (Andersen & Kak 1984; ordered subsets, Hudson & Larkin 1994) from an FBP start.

    Each sub-iteration: ``x ← x + λ·Bᵀ[(p − A x)/A1] / Bᵀ1`` over one subset of views, then non-negativity
    and, if ``smoothing`` > 0, a step ``x ← x − smoothing·(x − mean of the 4 neighbours)`` (a quadratic
    roughness penalty's gradient step). Returns μ (1/cm) on the centred FOV grid.
    """
    if iterations < 0 or subsets < 1 or not 0 < relaxation <= 2 or not 0 <= smoothing <= 1:
        raise ValueError("need iterations >= 0, subsets >= 1, 0 < relaxation <= 2, 0 <= smoothing <= 1")
    angles = np.asarray(angles_rad, dtype=np.float64)
    x = fbp_fan(p, geometry, angles, kernel=kernel, matrix=matrix, fov_mm=fov_mm) if initial is None else \
        np.array(initial, dtype=np.float32)
    xs, ys = image_grid(matrix, fov_mm)
    mask = (xs[None, :] ** 2 + ys[:, None] ** 2) <= (fov_mm / 2) ** 2
    ones = mask.astype(np.float32)
    lut, t0, t_scale = _channel_lut(geometry)
    px_cm = fov_mm / matrix / 10
    sb, cb = np.sin(angles), np.cos(angles)
    r_cm = geometry.source_iso_mm / 10
    order = [np.arange(s, angles.size, subsets) for s in range(subsets)]
    norms = []
    for views in order:
        a1 = forward_project_fan(ones, geometry, angles, fov_mm, views)
        col = np.zeros((matrix, matrix), dtype=np.float64)
        _bp_fan_plain(np.ones((views.size, geometry.n_channels), np.float32), sb, cb, views, r_cm, xs[0] / 10,
                      ys[0] / 10, px_cm, matrix, lut, t0, t_scale, col)
        norms.append((a1, col))
    for _ in range(iterations):
        for views, (a1, col) in zip(order, norms, strict=True):
            ax = forward_project_fan(x, geometry, angles, fov_mm, views)
            resid = np.where(a1 > 1e-3, (p[views] - ax) / np.maximum(a1, 1e-3), 0.0).astype(np.float32)
            upd = np.zeros((matrix, matrix), dtype=np.float64)
            _bp_fan_plain(resid, sb, cb, views, r_cm, xs[0] / 10, ys[0] / 10, px_cm, matrix, lut, t0, t_scale, upd)
            x = x + (relaxation * np.where(col > 0, upd / np.maximum(col, 1e-12), 0.0)).astype(np.float32)
            x = np.where(mask, np.maximum(x, 0.0), 0.0).astype(np.float32)
            if smoothing > 0:
                nb4 = 0.25 * (np.roll(x, 1, 0) + np.roll(x, -1, 0) + np.roll(x, 1, 1) + np.roll(x, -1, 1))
                x = np.where(mask, x - smoothing * (x - nb4), 0.0).astype(np.float32)
    return x
