"""Bloch isochromat simulator (numba): a block sequence applied to a set of spins, exactly in time steps.

Method (Hargreaves, *Bloch equation simulation* notes, Stanford RAD229; Bernstein §1): the sequence is cut
at every gradient corner, RF sample and ADC sample into intervals with constant fields. Free precession
over an interval is an exact rotation about z by ω·dt (ω = 2π(γ̄ G·r + Δf)) followed by exact T1/T2
relaxation; an RF pulse is the product of per-sample rotations about the effective field
(2π b1ₓ, 2π b1ᵧ, ω) — computed once per distinct ω (spins that see the same field share it), with
relaxation applied for half the pulse before and after (symmetric splitting). T2* comes from an
isochromat spread (Lorentzian quantiles give a Lorentzian line, i.e. exponential T2' decay). The received
signal is Σ M⊥ over spins, demodulated by the ADC phase; its k-space position is k(t) = ∫γ̄G dt.

Conventions: M⊥ = Mx + iMy precesses as e^{−iωt}; a pulse along +x tips +z towards +y (Haacke §2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numba as nb
import numpy as np

from scanroom.physics.mri.blocks import Block

__all__ = ["Spins", "Segments", "SimResult", "flatten", "simulate", "kspace_trajectory", "lorentzian_offsets",
           "spins_from_maps", "spins_from_labels", "simulate_numpy"]

_NS = 1e-9


@dataclass(frozen=True)
class Spins:
    """Isochromats: position (m), off-resonance (Hz), T1/T2 (s), equilibrium magnetisation M0."""

    pos_m: np.ndarray  # (n, 3)
    off_resonance_hz: np.ndarray  # (n,)
    t1_s: np.ndarray
    t2_s: np.ndarray
    m0: np.ndarray

    @property
    def n(self) -> int:
        return int(self.m0.shape[0])


@dataclass(frozen=True)
class Segments:
    """Flattened sequence: one row per segment (free precession, RF or ideal spoil)."""

    kind: np.ndarray  # 0 free, 1 rf, 2 spoil
    dt: np.ndarray  # step length (s)
    nstep: np.ndarray
    grad: np.ndarray  # (S, 3): RF segments the gradient (Hz/m); free segments the moment per step (1/m)
    adc_index: np.ndarray  # first ADC sample index recorded at the end of each step, or -1
    adc_phase: np.ndarray  # rad
    rf_index: np.ndarray  # index into rf_waveforms, or -1
    rf_phase: np.ndarray  # rad
    rf_waveforms: list[np.ndarray]  # complex Hz (includes frequency-offset phase ramp), one per distinct pulse
    rf_dwell: list[float]
    t_start: np.ndarray  # segment start time (s)
    n_adc: int
    adc_times: np.ndarray  # (n_adc,) s
    duration_s: float


@dataclass(frozen=True)
class SimResult:
    signal: np.ndarray  # (n_adc,) complex
    adc_times_s: np.ndarray
    kspace: np.ndarray  # (n_adc, 3) k-space position (1/m) at every ADC sample
    m_final: np.ndarray  # (n, 3)


def _grad_at(g, t: np.ndarray) -> np.ndarray:
    if g is None:
        return np.zeros_like(t)
    return np.interp(t, g.times_s, g.amps_hz_m, left=0.0, right=0.0)


def flatten(blocks: Sequence[Block]) -> Segments:
    """Cut a block list into constant-field segments (see module docstring)."""
    kind: list[int] = []
    dts: list[float] = []
    nst: list[int] = []
    grads: list[tuple[float, float, float]] = []
    adc_i: list[int] = []
    adc_p: list[float] = []
    rf_i: list[int] = []
    rf_p: list[float] = []
    t0s: list[float] = []
    wf: list[np.ndarray] = []
    wf_dw: list[float] = []
    wf_key: dict[tuple, int] = {}
    adc_times: list[np.ndarray] = []
    n_adc = 0
    T = 0.0

    def push(k: int, dt: float, n: int, g: tuple[float, float, float], ai: int, ap: float, ri: int, rp: float,
             ts: float) -> None:
        """Append a segment; free precession stores the gradient moment per step (1/m) in ``g``."""
        if k == 0 and kind and kind[-1] == 0:
            if ai < 0 and adc_i[-1] < 0:  # z-rotations and relaxation compose exactly: merge
                dts[-1] += dt
                p = grads[-1]
                grads[-1] = (p[0] + g[0], p[1] + g[1], p[2] + g[2])
                return
            p = grads[-1]
            if (ai >= 0 and adc_i[-1] >= 0 and abs(dts[-1] - dt) < 1e-12 and adc_i[-1] + nst[-1] == ai
                    and adc_p[-1] == ap and all(abs(p[q] - g[q]) <= 1e-9 * (1 + abs(g[q])) for q in range(3))):
                nst[-1] += n
                return
        kind.append(k)
        dts.append(dt)
        nst.append(n)
        grads.append(g)
        adc_i.append(ai)
        adc_p.append(ap)
        rf_i.append(ri)
        rf_p.append(rp)
        t0s.append(ts)

    for b in blocks:
        D = b.duration_s
        if D < -1e-12:
            raise ValueError("block duration must be non-negative")
        Dn = int(round(D / _NS))
        cuts = [np.array([0, Dn], np.int64)]
        for g in (b.gx, b.gy, b.gz):
            if g is not None:
                if g.end_s > D + 1e-9:
                    raise ValueError(f"gradient ends at {g.end_s * 1e3:.4f} ms, after its block ({D * 1e3:.4f} ms)")
                cuts.append(np.rint(np.asarray(g.times_s) / _NS).astype(np.int64))
        rf_span = None
        if b.rf is not None:
            r = b.rf
            if r.delay_s + r.duration_s > D + 1e-9:
                raise ValueError("RF pulse extends past the end of its block")
            rf_span = (int(round(r.delay_s / _NS)), int(round((r.delay_s + r.duration_s) / _NS)))
            cuts.append(np.array(rf_span, np.int64))
        adc_ns = np.zeros(0, np.int64)
        if b.adc is not None:
            st = b.adc.sample_times()
            if st[-1] > D + 1e-9:
                raise ValueError("ADC extends past the end of its block")
            adc_ns = np.rint(st / _NS).astype(np.int64)
            cuts.append(adc_ns)
            adc_times.append(T + st)
        pts = np.unique(np.concatenate(cuts))
        pts = pts[(pts >= 0) & (pts <= Dn)]
        if rf_span is not None:
            pts = pts[(pts <= rf_span[0]) | (pts >= rf_span[1])]
        if len(pts) < 2:
            if b.spoil:
                push(2, 0.0, 0, (0.0, 0.0, 0.0), -1, 0.0, -1, 0.0, T + D)
            T += D
            continue
        ta, tz = pts[:-1] * _NS, pts[1:] * _NS
        mom = np.zeros((len(ta), 3))
        for q, g in enumerate((b.gx, b.gy, b.gz)):
            if g is not None:
                gt = np.interp(np.concatenate([ta, tz]), g.times_s, g.amps_hz_m, left=0.0, right=0.0)
                mom[:, q] = 0.5 * (gt[:len(ta)] + gt[len(ta):]) * (tz - ta)
        sample_idx = np.full(len(ta), -1, np.int64)
        if len(adc_ns):
            pos = np.searchsorted(adc_ns, pts[1:])
            hit = (pos < len(adc_ns)) & (adc_ns[np.minimum(pos, len(adc_ns) - 1)] == pts[1:])
            sample_idx[hit] = n_adc + pos[hit]
        ap = b.adc.phase_offset_rad if b.adc is not None else 0.0
        for j, (a_, a_s, z_s, ai) in enumerate(zip(pts[:-1].tolist(), ta.tolist(), tz.tolist(), sample_idx.tolist(),
                                                   strict=True)):
            if rf_span is not None and a_ == rf_span[0] and b.rf is not None:
                r = b.rf
                tm = r.delay_s + (np.arange(len(r.signal_hz)) + 0.5) * r.dwell_s
                G = np.stack([_grad_at(g, tm) for g in (b.gx, b.gy, b.gz)], axis=1)
                if np.ptp(G, axis=0).max() > 1e-6 * max(1.0, np.abs(G).max()):
                    raise ValueError("gradients must be constant during an RF pulse (no VERSE) in this simulator")
                s = np.asarray(r.signal_hz, complex)
                if r.freq_offset_hz:
                    s = s * np.exp(2j * np.pi * r.freq_offset_hz * (tm - r.delay_s))
                key = (s.tobytes(), r.dwell_s)
                if key not in wf_key:
                    wf_key[key] = len(wf)
                    wf.append(s)
                    wf_dw.append(r.dwell_s)
                push(1, r.duration_s, 1, tuple(G[0].tolist()), -1, 0.0, wf_key[key], r.phase_offset_rad, T + a_s)
                continue
            m = mom[j]
            push(0, z_s - a_s, 1, (float(m[0]), float(m[1]), float(m[2])), ai, ap if ai >= 0 else 0.0, -1, 0.0,
                 T + a_s)
        if b.adc is not None:
            n_adc += b.adc.num_samples
        if b.spoil:
            push(2, 0.0, 0, (0.0, 0.0, 0.0), -1, 0.0, -1, 0.0, T + D)
        T += D
    at = np.concatenate(adc_times) if adc_times else np.zeros(0)
    return Segments(np.array(kind, np.int64), np.array(dts), np.array(nst, np.int64),
                    np.array(grads).reshape(-1, 3), np.array(adc_i, np.int64), np.array(adc_p),
                    np.array(rf_i, np.int64), np.array(rf_p), wf, wf_dw, np.array(t0s), n_adc, at, T)


def kspace_trajectory(seg: Segments) -> tuple[np.ndarray, np.ndarray]:
    """k(t) = ∫γ̄G dt (1/m) at every ADC sample and at every segment end: ``(k_adc (n_adc, 3), k_ends (S+1, 3))``.

    An excitation (flip < 135°) resets k to 0 at the pulse centre; a refocusing pulse (≥ 135°) negates it.
    """
    k = np.zeros(3)
    kb = [k.copy()]
    kad = np.zeros((seg.n_adc, 3))
    for s in range(len(seg.kind)):
        if seg.kind[s] == 1:
            ri = seg.rf_index[s]
            half = seg.grad[s] * seg.dt[s] / 2
            flip = abs(np.sum(seg.rf_waveforms[ri]) * seg.rf_dwell[ri]) * 360
            k = half if flip < 135 else -(k + half) + half
        elif seg.kind[s] == 0:
            g = seg.grad[s]
            if seg.adc_index[s] >= 0:
                steps = np.arange(1, seg.nstep[s] + 1)[:, None]
                kad[seg.adc_index[s]:seg.adc_index[s] + seg.nstep[s]] = k + g * steps
            k = k + g * seg.nstep[s]
        kb.append(k.copy())
    return kad, np.array(kb)


@nb.njit(cache=True)
def _rf_rotations(wf: np.ndarray, dwell: float, w_unique: np.ndarray) -> np.ndarray:
    """3×3 rotation of the whole pulse for each off-resonance ω (rad/s), composed sample by sample."""
    n = w_unique.shape[0]
    out = np.zeros((n, 3, 3))
    for u in range(n):
        R = np.eye(3)
        for s in range(wf.shape[0]):
            bx = 2 * np.pi * wf[s].real
            by = 2 * np.pi * wf[s].imag
            bz = w_unique[u]
            b = math.sqrt(bx * bx + by * by + bz * bz)
            if b == 0.0:
                continue
            th = -b * dwell  # left-handed precession about the effective field
            nx, ny, nz = bx / b, by / b, bz / b
            c, sn = math.cos(th), math.sin(th)
            C = 1 - c
            r00 = c + nx * nx * C
            r01 = nx * ny * C - nz * sn
            r02 = nx * nz * C + ny * sn
            r10 = ny * nx * C + nz * sn
            r11 = c + ny * ny * C
            r12 = ny * nz * C - nx * sn
            r20 = nz * nx * C - ny * sn
            r21 = nz * ny * C + nx * sn
            r22 = c + nz * nz * C
            Rn = np.empty((3, 3))
            for i in range(3):
                a0, a1, a2 = R[0, i], R[1, i], R[2, i]
                Rn[0, i] = r00 * a0 + r01 * a1 + r02 * a2
                Rn[1, i] = r10 * a0 + r11 * a1 + r12 * a2
                Rn[2, i] = r20 * a0 + r21 * a1 + r22 * a2
            R = Rn
        out[u] = R
    return out


@nb.njit(cache=True, fastmath=True)
def _run(kind, dt, nstep, grad, adc_index, adc_phase, rf_index, rf_phase, rf_dur, rot, rot_idx,
         px, py, pz, dw, r1, r2, m0, mx, my, mz):
    """Segment loop; spins innermost (structure-of-arrays, so LLVM vectorises the sums over spins)."""
    n = mx.shape[0]
    S = kind.shape[0]
    n_adc = 0
    for s in range(S):
        if adc_index[s] >= 0:
            e = adc_index[s] + nstep[s]
            if e > n_adc:
                n_adc = e
    sig = np.zeros(n_adc, np.complex128)
    twopi = 2 * np.pi
    pc = np.empty(n)
    ps = np.empty(n)
    e1 = np.empty(n)
    rec = np.empty(n)
    for s in range(S):
        k = kind[s]
        if k == 2:
            mx[:] = 0.0
            my[:] = 0.0
            continue
        if k == 1:
            ri = rf_index[s]
            ph = rf_phase[s]
            cp, sp = math.cos(ph), math.sin(ph)
            h = 0.5 * rf_dur[ri]
            for i in range(n):
                f1 = math.exp(-h * r1[i])
                f2 = math.exp(-h * r2[i])
                x = mx[i] * f2
                y = my[i] * f2
                z = mz[i] * f1 + m0[i] * (1 - f1)
                xr = cp * x + sp * y  # into the pulse frame: Rz(-ph)
                yr = -sp * x + cp * y
                R = rot[rot_idx[ri, i]]
                x2 = R[0, 0] * xr + R[0, 1] * yr + R[0, 2] * z
                y2 = R[1, 0] * xr + R[1, 1] * yr + R[1, 2] * z
                z2 = R[2, 0] * xr + R[2, 1] * yr + R[2, 2] * z
                mx[i] = (cp * x2 - sp * y2) * f2  # back: Rz(ph)
                my[i] = (sp * x2 + cp * y2) * f2
                mz[i] = z2 * f1 + m0[i] * (1 - f1)
            continue
        d = dt[s]
        ns = nstep[s]
        a0 = adc_index[s]
        gx, gy, gz = grad[s, 0], grad[s, 1], grad[s, 2]
        for i in range(n):
            phi = twopi * (gx * px[i] + gy * py[i] + gz * pz[i] + dw[i] * d)
            f2 = math.exp(-d * r2[i])
            f1 = math.exp(-d * r1[i])
            pc[i] = f2 * math.cos(phi)
            ps[i] = f2 * math.sin(phi)
            e1[i] = f1
            rec[i] = (1 - f1) * m0[i]
        if a0 < 0:
            for i in range(n):
                x, y = mx[i], my[i]
                mx[i] = pc[i] * x + ps[i] * y  # M⊥ ← M⊥ e^{−iφ} e^{−dt/T2}
                my[i] = pc[i] * y - ps[i] * x
                mz[i] = mz[i] * e1[i] + rec[i]
            continue
        ca, sa = math.cos(adc_phase[s]), math.sin(adc_phase[s])
        for j in range(ns):
            sx = 0.0
            sy = 0.0
            for i in range(n):
                x, y = mx[i], my[i]
                xn = pc[i] * x + ps[i] * y
                yn = pc[i] * y - ps[i] * x
                mx[i] = xn
                my[i] = yn
                sx += xn
                sy += yn
            sig[a0 + j] = complex(sx * ca + sy * sa, sy * ca - sx * sa)
        for i in range(n):  # longitudinal relaxation over the ns steps
            f = e1[i] ** ns
            mz[i] = mz[i] * f + (1 - f) * m0[i]
    return sig


def _prepare_rf(seg: Segments, spins: Spins) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotation matrices per (pulse, distinct ω) and the per-spin index into them."""
    n_wf = len(seg.rf_waveforms)
    rot_list = []
    rot_idx = np.zeros((max(n_wf, 1), spins.n), np.int64)
    base = 0
    done: dict[tuple[int, bytes], int] = {}
    for s in np.nonzero(seg.kind == 1)[0]:
        ri = int(seg.rf_index[s])
        g = seg.grad[s]
        key = (ri, g.tobytes())
        if key in done:
            continue
        w = 2 * np.pi * (spins.pos_m @ g + spins.off_resonance_hz)
        wu, inv = np.unique(np.round(w, 9), return_inverse=True)
        R = _rf_rotations(seg.rf_waveforms[ri], float(seg.rf_dwell[ri]), wu.astype(np.float64))
        rot_list.append(R)
        if ri in {k[0] for k in done}:
            raise ValueError("one pulse played under two different gradients is not supported; "
                             "give each use its own waveform")
        rot_idx[ri] = base + inv.reshape(-1)
        base += len(wu)
        done[key] = ri
    rot = np.concatenate(rot_list) if rot_list else np.zeros((1, 3, 3))
    rf_dur = np.array([len(w) * d for w, d in zip(seg.rf_waveforms, seg.rf_dwell, strict=True)] or [0.0])
    return rot, rot_idx, rf_dur


def simulate(blocks: Sequence[Block] | Segments, spins: Spins, m_init: np.ndarray | None = None,
             progress: Callable[[float], None] | None = None) -> SimResult:
    """Run the Bloch simulation; returns the ADC signal, its k-space positions and the final magnetisation."""
    seg = blocks if isinstance(blocks, Segments) else flatten(blocks)
    m = (np.stack([np.zeros(spins.n), np.zeros(spins.n), spins.m0.astype(float)], axis=1)
         if m_init is None else np.array(m_init, float))
    rot, rot_idx, rf_dur = _prepare_rf(seg, spins)
    r1 = 1.0 / np.maximum(spins.t1_s, 1e-9)
    r2 = 1.0 / np.maximum(spins.t2_s, 1e-9)
    pos = np.asarray(spins.pos_m, float)
    mx, my, mz = (np.ascontiguousarray(m[:, i]) for i in range(3))
    sig = _run(seg.kind, seg.dt, seg.nstep, seg.grad, seg.adc_index, seg.adc_phase, seg.rf_index, seg.rf_phase,
               rf_dur, rot, rot_idx, np.ascontiguousarray(pos[:, 0]), np.ascontiguousarray(pos[:, 1]),
               np.ascontiguousarray(pos[:, 2]), np.ascontiguousarray(spins.off_resonance_hz, float), r1, r2,
               spins.m0.astype(float), mx, my, mz)
    m = np.stack([mx, my, mz], axis=1)
    if progress is not None:
        progress(1.0)
    kad, _ = kspace_trajectory(seg)
    full = np.zeros(seg.n_adc, complex)
    full[:len(sig)] = sig
    return SimResult(full, seg.adc_times, kad, m)


def simulate_numpy(blocks: Sequence[Block] | Segments, spins: Spins) -> SimResult:
    """Reference implementation of the same loop in plain numpy (vectorised over spins), for benchmarks."""
    seg = blocks if isinstance(blocks, Segments) else flatten(blocks)
    m = np.stack([np.zeros(spins.n), np.zeros(spins.n), spins.m0.astype(float)], axis=1)
    rot, rot_idx, rf_dur = _prepare_rf(seg, spins)
    r1 = 1.0 / np.maximum(spins.t1_s, 1e-9)
    r2 = 1.0 / np.maximum(spins.t2_s, 1e-9)
    sig = np.zeros(seg.n_adc, complex)
    mxy = m[:, 0] + 1j * m[:, 1]
    mz = m[:, 2].copy()
    for s in range(len(seg.kind)):
        k = seg.kind[s]
        if k == 2:
            mxy[:] = 0
            continue
        if k == 1:
            ri = seg.rf_index[s]
            h = 0.5 * rf_dur[ri]
            e1, e2 = np.exp(-h * r1), np.exp(-h * r2)
            mxy = mxy * e2
            mz = mz * e1 + spins.m0 * (1 - e1)
            v = mxy * np.exp(-1j * seg.rf_phase[s])
            R = rot[rot_idx[ri]]
            x = R[:, 0, 0] * v.real + R[:, 0, 1] * v.imag + R[:, 0, 2] * mz
            y = R[:, 1, 0] * v.real + R[:, 1, 1] * v.imag + R[:, 1, 2] * mz
            mz = R[:, 2, 0] * v.real + R[:, 2, 1] * v.imag + R[:, 2, 2] * mz
            mxy = (x + 1j * y) * np.exp(1j * seg.rf_phase[s]) * e2
            mz = mz * e1 + spins.m0 * (1 - e1)
            continue
        d = seg.dt[s]
        phi = 2 * np.pi * (spins.pos_m @ seg.grad[s] + spins.off_resonance_hz * d)
        p = np.exp(-1j * phi - d * r2)
        e1 = np.exp(-d * r1)
        rec = (1 - e1) * spins.m0
        a0 = seg.adc_index[s]
        dem = np.exp(-1j * seg.adc_phase[s])
        for j in range(seg.nstep[s]):
            mxy = mxy * p
            mz = mz * e1 + rec
            if a0 >= 0:
                sig[a0 + j] = mxy.sum() * dem
    kad, _ = kspace_trajectory(seg)
    return SimResult(sig, seg.adc_times, kad, np.stack([mxy.real, mxy.imag, mz], axis=1))


def lorentzian_offsets(n: int, t2prime_s: float) -> np.ndarray:
    """``n`` off-resonance values (Hz) at the quantiles of a Lorentzian of HWHM 1/(2π T2')."""
    if not math.isfinite(t2prime_s) or n == 1:
        return np.zeros(n)
    q = (np.arange(n) + 0.5) / n
    return np.tan(np.pi * (q - 0.5)) / (2 * np.pi * t2prime_s)


def spins_from_maps(pd: np.ndarray, t1_ms: np.ndarray, t2_ms: np.ndarray, fov_m: tuple[float, float],
                    off_resonance_hz: np.ndarray | None = None, t2s_ms: np.ndarray | None = None,
                    n_iso: int = 1) -> Spins:
    """One isochromat (or ``n_iso`` with a Lorentzian T2' spread) per pixel of 2-D maps ``(ny, nx)``.

    The maps are laid on the grid x = (i − nx/2)·Δx, y = (j − ny/2)·Δy (matches :func:`.kspace.ifft2c`);
    pixels with PD = 0 are skipped.
    """
    ny, nx = pd.shape
    yy, xx = np.meshgrid((np.arange(ny) - ny // 2) * fov_m[0] / ny, (np.arange(nx) - nx // 2) * fov_m[1] / nx,
                         indexing="ij")
    keep = pd.ravel() > 0
    pos = np.stack([xx.ravel(), yy.ravel(), np.zeros(nx * ny)], axis=1)[keep]
    df = (np.zeros(nx * ny) if off_resonance_hz is None else off_resonance_hz.ravel())[keep]
    t1, t2, m0 = t1_ms.ravel()[keep] * 1e-3, t2_ms.ravel()[keep] * 1e-3, pd.ravel()[keep]
    if n_iso > 1 and t2s_ms is not None:
        t2s = np.minimum(t2s_ms.ravel()[keep], t2_ms.ravel()[keep]) * 1e-3
        with np.errstate(divide="ignore"):
            t2p = 1.0 / np.maximum(1.0 / t2s - 1.0 / t2, 1e-12)
        offs = np.stack([lorentzian_offsets(n_iso, tp) for tp in t2p])  # (n, n_iso)
        pos = np.repeat(pos, n_iso, axis=0)
        df = (df[:, None] + offs).ravel()
        t1, t2 = np.repeat(t1, n_iso), np.repeat(t2, n_iso)
        m0 = np.repeat(m0 / n_iso, n_iso)
    return Spins(pos, df, t1, t2, m0)


def spins_from_labels(labels: np.ndarray, table, fov_m: tuple[float, float], n_iso: int = 1,
                      chemical_shift: bool = True) -> Spins:
    """Isochromats for a 2-D label slice (e.g. ``MRAcquisition.labels[0]``) using a :class:`TissueTable`."""
    lab = np.minimum(labels, table.n_labels - 1)
    df = table.chemical_shift_ppm[lab] * 1e-6 * 42.577478e6 * table.field_t if chemical_shift else None
    return spins_from_maps(table.pd[lab], table.t1_ms[lab], table.t2_ms[lab], fov_m, off_resonance_hz=df,
                           t2s_ms=table.t2s_ms[lab], n_iso=n_iso)
