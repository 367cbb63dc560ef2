"""Acquisition: phantom → slice signal → k-space (with aliasing, truncation, artifacts, noise) → image.

One verb, :func:`acquire`. Per slice it

1. samples the complex tissue signal (closed-form steady state per label, :mod:`.sequences`) on a grid
   ``oversampling``× finer than the matrix, averaging over the slice thickness (partial volume), over
   the whole object extent along phase;
2. weights it by the receive-coil sensitivity and, if enabled, displaces/dephases it by the
   susceptibility field;
3. folds it along phase with period FOV_phase(1 + oversampling) — exactly what sampling k-space at
   Δk = 1/FOV does (aliasing, Haacke §12.2) — Fourier-transforms it and keeps the central
   N_phase × N_read samples: truncation gives Gibbs ringing (Haacke §13.1). Chemical shift is a linear
   phase along k_read per species;
4. applies motion, RF-leak and spike corruption, adds complex Gaussian noise to the acquired samples,
   zero-fills partial Fourier and reconstructs by homodyne (Noll et al., IEEE TMI 1991;10:154), inverse
   FFT otherwise; SENSE acceleration multiplies the noise by g·√R (Pruessmann et al., MRM 1999;42:952);
5. takes the magnitude (Rician noise, Gudbjartsson & Patz, MRM 1995;34:910) or, for phase-sensitive
   inversion recovery, the real part.

Noise follows the SNR law SNR ∝ B0 · Δx Δy Δz · √(N_phase · NEX / BW_px) (Haacke §15.2; Edelstein et al.,
Med Phys 1986;13:331) with :data:`SNR_REF` fixing the scale. Scan time is TR · shots · NEX · packages with
shots = ⌈lines/(ETL·R)⌉ (Bernstein §11.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.fft as sfft

from scanroom.physics.mri import artifacts as art
from scanroom.physics.mri.coils import COILS, sense_g_factor, sensitivities_on_grid
from scanroom.physics.mri.geometry import (
    SliceGeometry,
    SlicePlane,
    labels_on_grid,
    phantom_center_mm,
    sample_plane,
    slice_planes,
)
from scanroom.physics.mri.sequences import (
    SequenceParams,
    readout_ms,
    slice_slot_ms,
    tissue_signal,
    validate_sequence,
)
from scanroom.physics.mri.tissue import GAMMA_HZ_PER_T, TissueTable, larmor_hz, tissue_table
from scanroom.physics.phantom import Phantom

__all__ = [
    "SNR_REF",
    "AcquisitionParams",
    "ScanTiming",
    "MRAcquisition",
    "acquire",
    "scan_timing",
    "snr_water",
    "validate_acquisition",
    "fft2c",
    "ifft2c",
]

# SNR of fully relaxed water (PD = 1) at 1.5 T, 1 × 1 × 5 mm voxel, 256 phase lines, NEX 1, 130 Hz/px,
# unit coil sensitivity: chosen so white matter in a default T2 TSE at 1.5 T has SNR ≈ 25, a typical
# clinical value. Only this scale is a choice; every dependence on the protocol follows the SNR law.
SNR_REF = 120.0
REF_VOXEL_MM3 = 5.0
REF_LINES = 256
REF_BW_HZ_PX = 130.0
EPI_RAMP_MS = 0.12  # gradient ramp between EPI lines


@dataclass(frozen=True)
class AcquisitionParams:
    """Receiver/encoding parameters that are not contrast or geometry."""

    field_t: float = 1.5
    nex: int = 1
    partial_fourier: float = 1.0  # fraction of phase lines acquired (0.5–1), homodyne reconstruction
    parallel_factor: int = 1  # SENSE acceleration R along phase
    coil: str = "body"
    normalize_intensity: bool = False  # divide by the coil sensitivity (prescan normalise)
    kspace_filter: Literal["none", "hamming", "tukey"] = "none"
    zero_fill: int = 1  # reconstruction interpolation factor (1, 2 or 4)
    noise: bool = True
    snr_scale: float = 1.0  # multiplies SNR_REF (coil/scanner quality)
    oversampling: int = 2  # object grid resolution relative to the matrix (sets Gibbs/partial-volume detail)
    diffusion_directions: int = 3  # DWI: directions per non-zero b (trace)
    max_gradient_mt_m: float = 40.0
    seed: int | None = None


@dataclass(frozen=True)
class ScanTiming:
    """How the scan time is made up."""

    scan_time_s: float
    lines: int  # phase-encode lines actually acquired per image (after partial Fourier and R)
    shots: int  # excitations (TRs) per image per average
    slices_per_tr: int
    packages: int  # concatenations: passes needed to fit all slices
    images_per_slice: int  # DWI: b = 0 plus diffusion directions
    readout_ms: float
    echo_spacing_ms: float  # TSE ESP or EPI line spacing


@dataclass(frozen=True)
class MRAcquisition:
    """Result of :func:`acquire` (arrays per slice, display orientation)."""

    image: np.ndarray  # (n_slices, rows, cols) float32 — magnitude, or signed for real IR reconstruction
    kspace: np.ndarray  # (n_slices, lines, n_read) complex64 as acquired (phase, read); zeros where skipped
    labels: np.ndarray  # (n_slices, rows, cols) ground-truth label at each slice centre
    planes: list[SlicePlane]
    pixel_spacing_mm: tuple[float, float]  # (between rows, between columns) of ``image``
    timing: ScanTiming
    noise_sigma: float  # per-channel image noise at unit sensitivity, g = 1
    snr_water: float  # SNR of fully relaxed water at unit sensitivity (image-domain estimate)
    tissue_snr: dict[str, float]  # expected SNR per material present (unit sensitivity, g = 1)
    g_factor_max: float
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def scan_time_s(self) -> float:
        return self.timing.scan_time_s


def fft2c(x: np.ndarray, axes: tuple[int, int] = (-2, -1)) -> np.ndarray:
    """Centred 2-D FFT (k = 0 at index N/2), unnormalised."""
    return sfft.fftshift(sfft.fft2(sfft.ifftshift(x, axes=axes), axes=axes, workers=-1), axes=axes)


def ifft2c(k: np.ndarray, axes: tuple[int, int] = (-2, -1)) -> np.ndarray:
    """Centred inverse 2-D FFT, normalised by 1/N (inverse of :func:`fft2c`)."""
    return sfft.fftshift(sfft.ifft2(sfft.ifftshift(k, axes=axes), axes=axes, workers=-1), axes=axes)


def _epi_lines(geom: SliceGeometry, acq: AcquisitionParams) -> int:
    n = int(math.ceil(geom.phase_lines * acq.partial_fourier - 1e-9))
    return int(math.ceil(n / acq.parallel_factor))


def _epi_esp_ms(seq: SequenceParams) -> float:
    return readout_ms(seq) + EPI_RAMP_MS


def scan_timing(seq: SequenceParams, geom: SliceGeometry, acq: AcquisitionParams) -> ScanTiming:
    """Exact scan time of the model: TR × shots × NEX × packages (× images per slice for DWI).

    lines = ⌈⌈N_phase(1 + os) · PF⌉ / R⌉; shots = ⌈lines / ETL⌉ (1 for single-shot EPI); slices per TR =
    ⌊TR / slot⌋ (1 and sequential for bSSFP); packages = ⌈n_slices / slices per TR⌉.
    """
    lines = _epi_lines(geom, acq)
    images = 1
    if seq.family == "dwi":
        shots = 1
        images = 1 + (acq.diffusion_directions if seq.b_value_s_mm2 > 0 else 0)
        slot = slice_slot_ms(seq, epi_lines=lines)
        esp = _epi_esp_ms(seq)
    else:
        shots = int(math.ceil(lines / seq.etl))
        slot = slice_slot_ms(seq)
        esp = seq.esp_ms
    if seq.sequential:
        per_tr, packages = 1, geom.n_slices
    else:
        per_tr = max(1, int(math.floor(seq.tr_ms / slot + 1e-9)))
        packages = int(math.ceil(geom.n_slices / per_tr))
        per_tr = min(per_tr, geom.n_slices)
    t = seq.tr_ms * 1e-3 * shots * acq.nex * packages * images
    return ScanTiming(t, lines, shots, per_tr, packages, images, readout_ms(seq), esp)


def snr_water(seq: SequenceParams, geom: SliceGeometry, acq: AcquisitionParams) -> float:
    """SNR of fully relaxed water with full sampling (no PF, R = 1), unit sensitivity, from the SNR law."""
    dp, dr = geom.pixel_mm
    vol = dp * dr * geom.slice_thickness_mm
    return (SNR_REF * acq.snr_scale * (acq.field_t / 1.5) * (vol / REF_VOXEL_MM3)
            * math.sqrt(geom.phase_lines * acq.nex / REF_LINES * REF_BW_HZ_PX / seq.bandwidth_hz_px))


def validate_acquisition(seq: SequenceParams, geom: SliceGeometry, acq: AcquisitionParams) -> None:
    """Raise ``ValueError`` for impossible or unsupported combinations."""
    validate_sequence(seq)
    gmax = acq.max_gradient_mt_m * 1e-3
    min_px = max(0.1, seq.bandwidth_hz_px / (GAMMA_HZ_PER_T * gmax) * 1e3)
    geom.validate(min_pixel_mm=min_px)
    if not 0.05 <= acq.field_t <= 11.7:
        raise ValueError(f"field strength {acq.field_t} T is outside 0.05–11.7 T")
    if not (isinstance(acq.nex, int) and 1 <= acq.nex <= 16):
        raise ValueError(f"NEX must be a whole number 1–16, got {acq.nex}")
    if not 0.5 <= acq.partial_fourier <= 1.0:
        raise ValueError(f"partial Fourier fraction must be 0.5–1, got {acq.partial_fourier}")
    if acq.coil not in COILS:
        raise ValueError(f"unknown coil {acq.coil!r}; known: {', '.join(COILS)}")
    R = acq.parallel_factor
    if not 1 <= R <= 4:
        raise ValueError(f"parallel imaging factor must be 1–4, got {R}")
    if R > 1 and acq.coil != "head-8":
        raise ValueError(f"parallel imaging (R = {R}) needs a multi-channel array coil (head-8), not {acq.coil}")
    if geom.phase_lines % R:
        raise ValueError(f"phase lines ({geom.phase_lines}) must be divisible by R = {R}")
    if acq.zero_fill not in (1, 2, 4) or acq.oversampling not in (1, 2, 3, 4):
        raise ValueError("zero_fill must be 1, 2 or 4 and oversampling 1–4")
    if seq.family == "dwi":
        lines = _epi_lines(geom, acq)
        slot = slice_slot_ms(seq, epi_lines=lines)
        half_train = lines * _epi_esp_ms(seq) / 2
        if half_train > seq.te_ms - seq.rf_ms / 2 - 2.0:
            raise ValueError(f"EPI echo train ({2 * half_train:.0f} ms for {lines} lines) does not fit around TE "
                             f"{seq.te_ms:g} ms; use parallel imaging, partial Fourier or a longer TE")
        if slot > seq.tr_ms:
            raise ValueError(f"TR {seq.tr_ms:g} ms is too short for the EPI readout ({slot:.0f} ms per slice)")
    elif seq.family in ("tse", "ir") and seq.etl > _epi_lines(geom, acq):
        raise ValueError(f"echo-train length {seq.etl} exceeds the {_epi_lines(geom, acq)} lines to acquire")


def _window(n: int, kind: str) -> np.ndarray:
    if kind == "none":
        return np.ones(n)
    x = (np.arange(n) - n // 2) / (n / 2)  # -1 .. 1
    if kind == "hamming":
        return 0.54 + 0.46 * np.cos(np.pi * x)
    # tukey (cosine taper over the outer 30 %)
    a = 0.3
    ax = np.abs(x)
    w = np.ones(n)
    edge = ax > 1 - a
    w[edge] = 0.5 * (1 + np.cos(np.pi * (ax[edge] - (1 - a)) / a))
    return w


def _line_times_s(seq: SequenceParams, n_lines: int, first: int, acq: AcquisitionParams,
                  timing: ScanTiming) -> np.ndarray:
    """Acquisition time of every phase line (linear order; segmented for echo trains), per NEX: (nex, n)."""
    q = np.arange(n_lines) - first
    t = np.full(n_lines, np.nan)
    ok = q >= 0
    qa = q[ok] // acq.parallel_factor
    tr = seq.tr_ms * 1e-3
    if seq.family == "dwi":
        tt = qa * timing.echo_spacing_ms * 1e-3
        per_avg = tr * timing.images_per_slice
    else:
        shots = timing.shots
        tt = (qa % shots) * tr + (qa // shots) * seq.esp_ms * 1e-3
        per_avg = shots * tr
    t[ok] = tt
    return t[None, :] + per_avg * np.arange(acq.nex)[:, None]


def _homodyne(K: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    """Homodyne weights and low-resolution phase for lines ``first..N-1`` acquired (Noll 1991)."""
    n = K.shape[0]
    c = n // 2
    hw = c - first  # half-width of the symmetric centre
    W = np.zeros(n)
    W[first:] = 2.0
    lo, hi = c - hw, c + hw
    W[lo:hi] = 1.0
    # smooth the step with a short ramp to reduce ringing
    Ksym = np.zeros_like(K)
    win = np.hanning(hi - lo + 2)[1:-1] if hi > lo else np.ones(0)
    Ksym[lo:hi] = K[lo:hi] * win[:, None]
    phase = np.angle(ifft2c(Ksym))
    W[:first] = 0.0
    return W, phase


def acquire(ph: Phantom, seq: SequenceParams, geom: SliceGeometry, acq: AcquisitionParams | None = None,
            artifacts: art.ArtifactSpec | None = None, *, field_map: art.FieldMap | None = None,
            table: TissueTable | None = None) -> MRAcquisition:
    """Simulate a 2-D multi-slice acquisition of phantom ``ph``; see the module docstring for the physics."""
    acq = acq or AcquisitionParams()
    artifacts = artifacts or art.ArtifactSpec()
    validate_acquisition(seq, geom, acq)
    table = table or tissue_table(ph.label_materials, acq.field_t)
    rng = np.random.default_rng(acq.seed)
    timing = scan_timing(seq, geom, acq)
    os_ = acq.oversampling
    Nr, Np = geom.matrix_read, geom.matrix_phase
    Nl = geom.phase_lines  # acquired phase FOV in pixels (with phase oversampling)
    dp, dr = geom.pixel_mm
    f0 = larmor_hz(acq.field_t)
    epi = seq.family == "dwi"
    bw_phase_px = 1.0 / (timing.lines * timing.echo_spacing_ms * 1e-3) if epi else math.inf

    # --- tissue signal per label, split into chemical-shift species
    lut = tissue_signal(seq, table)
    cs = table.chemical_shift_ppm
    species = [0.0]
    if artifacts.chemical_shift:
        species += sorted({float(c) for c, p in zip(cs, table.pd, strict=True) if c != 0 and p > 0})
    luts = np.stack([np.where((cs == s) if s != 0 else ~np.isin(cs, species[1:]), lut, 0) for s in species])

    # --- grids
    planes = slice_planes(geom, ph)
    Nr_f = Nr * os_
    P = Nl * os_
    r_f = (np.arange(Nr_f) - Nr_f // 2) * (dr / os_)
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], float)
    ext = np.asarray(ph.extent_mm())
    bbox = np.asarray(ph.origin_mm) + corners * ext - 0.5 * np.array(ph.voxel_mm[::-1])
    if field_map is None and artifacts.susceptibility:
        field_map = art.susceptibility_field(ph, table)
    array_center = phantom_center_mm(ph)

    imgs, ks, labs = [], [], []
    g_max = 1.0
    sigma_img = 1.0 / snr_water(seq, geom, acq)
    sigma_k = sigma_img * math.sqrt(Nl * Nr)
    kp = (np.arange(Nl) - Nl // 2) / (Nl * dp)  # cycles/mm
    kr = (np.arange(Nr) - Nr // 2) / (Nr * dr)
    n_pf = int(math.ceil(Nl * acq.partial_fourier - 1e-9))
    first = Nl - n_pf
    zf = acq.zero_fill
    out_p = (np.arange(Np * zf) - Np * zf // 2) * (dp / zf)
    out_r = (np.arange(Nr * zf) - Nr * zf // 2) * (dr / zf)
    for plane in planes:
        h = float(np.max(np.abs((bbox - plane.center_mm) @ plane.e_phase)))
        m = 1 if h <= Nl * dp / 2 else 2 * int(math.ceil((h - Nl * dp / 2) / (Nl * dp))) + 1
        p_f = (np.arange(m * P) - m * P // 2) * (dp / os_)
        g = sample_plane(ph, luts, plane, geom.slice_thickness_mm, r_f, p_f)  # (G, mP, Nr_f)
        if acq.coil != "body":
            cp = np.linspace(p_f[0], p_f[-1], min(len(p_f), 16 * m))
            cr = np.linspace(r_f[0], r_f[-1], 32)
            _, rss_c = sensitivities_on_grid(acq.coil, array_center, plane.center_mm, plane.e_phase, plane.e_read,
                                             cp, cr)
            g = g * _interp2(rss_c, cp, cr, p_f, r_f)[None].astype(np.complex64)
        if field_map is not None:
            g = _apply_field(g, field_map, plane, p_f, r_f, geom, seq, acq, bw_phase_px, os_)
        folded = g.reshape(len(species), m, P, Nr_f).sum(axis=1) if m > 1 else g
        # read FFT, crop, chemical shift, phase FFT, crop
        kx = sfft.fftshift(sfft.fft(sfft.ifftshift(folded, axes=-1), axis=-1, workers=-1), axes=-1)
        c0 = Nr_f // 2 - Nr // 2
        kx = kx[..., c0:c0 + Nr]
        for i, s in enumerate(species):
            if s != 0:
                sr = s * 1e-6 * f0 / seq.bandwidth_hz_px
                kx[i] *= np.exp(-2j * np.pi * (np.arange(Nr) - Nr // 2) * sr * os_ / Nr_f)[None, :]
                if epi:
                    sp = s * 1e-6 * f0 / bw_phase_px * os_
                    kx[i] = _shift_rows(kx[i], sp)
        kx = kx.sum(axis=0)
        K = sfft.fftshift(sfft.fft(sfft.ifftshift(kx, axes=0), axis=0, workers=-1), axes=0)
        K = K[P // 2 - Nl // 2:P // 2 - Nl // 2 + Nl] / (os_ * os_)
        # --- corruption
        if artifacts.motion is not None:
            t = _line_times_s(seq, Nl, first, acq, timing)
            mod = np.nanmean(np.stack([art.motion_modulation(np.nan_to_num(ti), kp, kr, artifacts.motion)
                                       for ti in t]), axis=0)
            K = K * mod
        if artifacts.zipper_hz is not None:
            K = K + art.zipper_kspace(Nl, Nr, artifacts.zipper_hz / seq.bandwidth_hz_px, artifacts.zipper_amplitude,
                                      rng)
        if artifacts.spike is not None:
            kpf, krf, amp = artifacts.spike
            K = K + art.spike_kspace(K.shape, kpf, krf, amp * float(np.abs(K).max()))
        Kn = np.zeros_like(K)
        if acq.noise:
            Kn = (rng.standard_normal(K.shape) + 1j * rng.standard_normal(K.shape)) * sigma_k
        if first:
            K[:first] = 0
            Kn[:first] = 0
        ks.append((K + Kn).astype(np.complex64))
        # --- reconstruction
        w = np.outer(_window(Nl, acq.kspace_filter), _window(Nr, acq.kspace_filter))
        Ks, Kn = K * w, Kn * w
        if zf > 1:
            pad = ((Nl * (zf - 1) // 2, Nl * (zf - 1) - Nl * (zf - 1) // 2),
                   (Nr * (zf - 1) // 2, Nr * (zf - 1) - Nr * (zf - 1) // 2))
            Ks, Kn = np.pad(Ks, pad) * zf * zf, np.pad(Kn, pad) * zf * zf
        first_z = first + (Nl * (zf - 1) // 2 if zf > 1 else 0)
        gmap = None
        if acq.parallel_factor > 1:
            pp = (np.arange(Nl) - Nl // 2) * dp
            rr = (np.arange(Nr) - Nr // 2) * dr
            cr = np.linspace(rr[0], rr[-1], 48)
            S_c, _ = sensitivities_on_grid(acq.coil, array_center, plane.center_mm, plane.e_phase, plane.e_read,
                                           pp, cr)
            gm = sense_g_factor(S_c, acq.parallel_factor)
            gmap = np.stack([np.interp(np.arange(Nr * zf) / zf, np.linspace(0, Nr - 1, 48), row) for row in gm])
            gmap = np.repeat(gmap, zf, axis=0)
            g_max = max(g_max, float(gm.max()))
        if first:
            W, phase = _homodyne(Ks, first_z)
            rot = np.exp(-1j * phase)
            img_s = np.real(ifft2c(Ks * W[:, None]) * rot)
            img_n = np.real(ifft2c(Kn * W[:, None]) * rot) if acq.noise else 0.0
            if gmap is not None:
                img_n = img_n * gmap * math.sqrt(acq.parallel_factor)
            img = img_s + img_n
            img = img if seq.family == "ir" and seq.ir_recon == "real" else np.abs(img)
        else:
            img = ifft2c(Ks + Kn) if gmap is None else ifft2c(Ks) + ifft2c(Kn) * gmap * math.sqrt(acq.parallel_factor)
            img = np.real(img) if seq.family == "ir" and seq.ir_recon == "real" else np.abs(img)
        # crop phase oversampling
        a0 = (Nl * zf) // 2 - (Np * zf) // 2
        img = img[a0:a0 + Np * zf]
        if acq.normalize_intensity and acq.coil != "body":
            cp = np.linspace(out_p[0], out_p[-1], 32)
            cr = np.linspace(out_r[0], out_r[-1], 32)
            _, rss_c = sensitivities_on_grid(acq.coil, array_center, plane.center_mm, plane.e_phase, plane.e_read,
                                             cp, cr)
            rss_o = _interp2(rss_c, cp, cr, out_p, out_r)
            img = img / np.maximum(rss_o, 0.02)
        lab = labels_on_grid(ph, plane, out_r, out_p)
        if not geom.phase_is_vertical:
            img, lab = img.T, lab.T
        imgs.append(img.astype(np.float32))
        labs.append(lab)

    snr_w = 1.0 / sigma_img
    present = np.unique(np.concatenate([np.unique(x) for x in labs]))
    tissue_snr = {}
    for lab_v in present:
        if lab_v < table.n_labels and table.material_ids[lab_v] and table.pd[lab_v] > 0:
            tissue_snr[table.material_ids[lab_v]] = float(abs(lut[lab_v]) * snr_w)
    spacing = (dp / zf, dr / zf) if geom.phase_is_vertical else (dr / zf, dp / zf)
    figures = {
        "bandwidth_total_hz": seq.bandwidth_hz_px * Nr,
        "readout_ms": readout_ms(seq),
        "fat_shift_px": abs(art.chemical_shift_px(-3.4, acq.field_t, seq.bandwidth_hz_px)),
        "voxel_mm3": dp * dr * geom.slice_thickness_mm,
        "snr_relative_to_reference": snr_w / SNR_REF,
        "snr_water_effective": snr_w * math.sqrt(acq.partial_fourier) / (g_max * math.sqrt(acq.parallel_factor)),
    }
    if epi:
        figures["bandwidth_phase_hz_px"] = bw_phase_px
        figures["fat_shift_phase_px"] = abs(-3.4e-6 * f0 / bw_phase_px)
    return MRAcquisition(np.stack(imgs), np.stack(ks), np.stack(labs), planes, spacing, timing, sigma_img, snr_w,
                         tissue_snr, g_max, figures)


def _interp2(v: np.ndarray, y0: np.ndarray, x0: np.ndarray, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of ``v (len(y0), len(x0))`` onto the grid ``y × x`` (monotonic axes)."""
    fy = np.interp(y, y0, np.arange(len(y0)))
    fx = np.interp(x, x0, np.arange(len(x0)))
    iy = np.clip(np.floor(fy).astype(int), 0, max(len(y0) - 2, 0))
    ix = np.clip(np.floor(fx).astype(int), 0, max(len(x0) - 2, 0))
    wy = (fy - iy)[:, None]
    wx = (fx - ix)[None, :]
    iy1 = np.minimum(iy + 1, len(y0) - 1)
    ix1 = np.minimum(ix + 1, len(x0) - 1)
    return ((1 - wy) * ((1 - wx) * v[iy][:, ix] + wx * v[iy][:, ix1])
            + wy * ((1 - wx) * v[iy1][:, ix] + wx * v[iy1][:, ix1]))


def _shift_rows(kx: np.ndarray, shift: float) -> np.ndarray:
    """Shift an image (rows in image space, columns in k_read) by ``shift`` rows via a Fourier phase ramp."""
    n = kx.shape[0]
    k = sfft.fftshift(sfft.fft(sfft.ifftshift(kx, axes=0), axis=0), axes=0)
    k *= np.exp(-2j * np.pi * (np.arange(n) - n // 2) * shift / n)[:, None]
    return sfft.fftshift(sfft.ifft(sfft.ifftshift(k, axes=0), axis=0), axes=0)


def _apply_field(g: np.ndarray, fm: art.FieldMap, plane: SlicePlane, p_f: np.ndarray, r_f: np.ndarray,
                 geom: SliceGeometry, seq: SequenceParams, acq: AcquisitionParams, bw_phase_px: float,
                 os_: int) -> np.ndarray:
    """Susceptibility: distortion along read (or phase for EPI) and gradient-echo intravoxel dephasing."""
    pts = plane.center_mm + p_f[:, None, None] * plane.e_phase + r_f[None, :, None] * plane.e_read
    hz = fm.sample(pts) * 1e-6 * larmor_hz(acq.field_t)
    if seq.family == "gre":
        h = geom.slice_thickness_mm / 2
        dn = (fm.sample(pts + h * plane.e_normal) - fm.sample(pts - h * plane.e_normal)) * 1e-6 \
            * larmor_hz(acq.field_t) / (2 * h)
        dpf, drf = np.gradient(hz, p_f[1] - p_f[0], r_f[1] - r_f[0])
        grad = np.stack([dpf, drf, dn], axis=-1)
        vox = np.array([geom.pixel_mm[0], geom.pixel_mm[1], geom.slice_thickness_mm])
        g = g * art.intravoxel_dephasing(grad, vox, seq.te_ms)[None].astype(np.float32)
    if seq.family == "dwi":
        shift = hz / bw_phase_px * os_
        return np.stack([art.displace(gi, shift, axis=0) for gi in g])
    shift = hz / seq.bandwidth_hz_px * os_
    return np.stack([art.displace(gi, shift, axis=1) for gi in g])
