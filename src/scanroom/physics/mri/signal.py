"""Closed-form steady-state signal equations, vectorised over tissues (times in ms, angles in degrees).

Every function takes arrays (or scalars) of tissue parameters and returns the transverse magnetisation at
the echo in units of the fully relaxed water magnetisation (PD = 1), ideal (rectangular) slice profile.

References
----------
Haacke, Brown, Thompson, Venkatesan, *Magnetic Resonance Imaging: Physical Principles and Sequence
Design*, 2nd ed. (Wiley 2014): spin echo §8.3, inversion recovery §8.4, spoiled gradient echo §18.2
(Ernst angle), balanced SSFP §18.3.
Bernstein, King, Zhou, *Handbook of MRI Pulse Sequences* (Elsevier 2004): RARE/FSE §16.4, IR §14.2,
SSFP §14.3, diffusion §17.1.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "spin_echo",
    "turbo_spin_echo",
    "inversion_recovery",
    "inversion_null_ti",
    "spoiled_gre",
    "ernst_angle",
    "bssfp",
    "diffusion_weighted",
    "adc_map",
]

Arr = NDArray[np.float64]


def _a(x: ArrayLike) -> Arr:
    return np.asarray(x, dtype=np.float64)


def spin_echo(pd: ArrayLike, t1: ArrayLike, t2: ArrayLike, tr: float, te: float) -> Arr:
    """Repeated 90°–180° spin echo: S = PD (1 − 2 e^{−(TR−TE/2)/T1} + e^{−TR/T1}) e^{−TE/T2}.

    Ideal pulses, transverse magnetisation gone before the next excitation (TR ≫ T2). Haacke §8.3.
    """
    t1, t2 = _a(t1), _a(t2)
    mz = 1.0 - 2.0 * np.exp(-(tr - te / 2.0) / t1) + np.exp(-tr / t1)
    return _a(pd) * mz * np.exp(-te / t2)


def turbo_spin_echo(pd: ArrayLike, t1: ArrayLike, t2: ArrayLike, tr: float, te_eff: float, etl: int,
                    esp: float) -> Arr:
    """RARE / turbo spin echo at effective TE: S ≈ PD (1 − e^{−(TR − ETL·ESP)/T1}) e^{−TE_eff/T2}.

    Longitudinal magnetisation is taken as zero at the end of the echo train, so it recovers for
    TR − ETL·ESP (Bernstein §16.4). The contrast is set by the echo that fills the k-space centre.
    """
    t1, t2 = _a(t1), _a(t2)
    return _a(pd) * (1.0 - np.exp(-(tr - etl * esp) / t1)) * np.exp(-te_eff / t2)


def inversion_recovery(pd: ArrayLike, t1: ArrayLike, t2: ArrayLike, tr: float, ti: float, te: float,
                       readout_ms: float = 0.0) -> Arr:
    """Signed inversion-recovery signal S = PD (1 − 2 e^{−TI/T1} + e^{−(TR − T_ro)/T1}) e^{−TE/T2}.

    Ideal 180° inversion, 90° excitation at TI; the readout (echo train of length ``readout_ms``) leaves
    Mz = 0, so Mz recovers for TR − TI − T_ro before the next inversion (Haacke §8.4; Bernstein §14.2).
    With ``readout_ms = 0`` this is the textbook PD(1 − 2e^{−TI/T1} + e^{−TR/T1}) e^{−TE/T2}.
    The sign is kept: magnitude reconstruction takes |S|, phase-sensitive (real) reconstruction keeps it.
    """
    t1, t2 = _a(t1), _a(t2)
    mz = 1.0 - 2.0 * np.exp(-ti / t1) + np.exp(-(tr - readout_ms) / t1)
    return _a(pd) * mz * np.exp(-te / t2)


def inversion_null_ti(t1: ArrayLike, tr: float, readout_ms: float = 0.0) -> Arr:
    """TI that nulls a tissue: TI = T1 ln(2 / (1 + e^{−(TR − T_ro)/T1})) → T1 ln 2 for TR ≫ T1."""
    t1 = _a(t1)
    return t1 * np.log(2.0 / (1.0 + np.exp(-(tr - readout_ms) / t1)))


def spoiled_gre(pd: ArrayLike, t1: ArrayLike, t2s: ArrayLike, tr: float, te: float, flip_deg: float) -> Arr:
    """Spoiled gradient echo (FLASH): S = PD sinα (1 − E1)/(1 − cosα E1) e^{−TE/T2*} (Haacke §18.2)."""
    t1, t2s = _a(t1), _a(t2s)
    a = np.deg2rad(flip_deg)
    e1 = np.exp(-tr / t1)
    return _a(pd) * np.sin(a) * (1.0 - e1) / (1.0 - np.cos(a) * e1) * np.exp(-te / t2s)


def ernst_angle(tr: ArrayLike, t1: ArrayLike) -> Arr:
    """Flip angle (degrees) maximising the spoiled GRE signal: α_E = arccos(e^{−TR/T1})."""
    return np.rad2deg(np.arccos(np.exp(-_a(tr) / _a(t1))))


def bssfp(pd: ArrayLike, t1: ArrayLike, t2: ArrayLike, tr: float, flip_deg: float, te: float | None = None,
          off_resonance_hz: ArrayLike = 0.0) -> NDArray[np.complex128]:
    """Balanced SSFP steady state with alternating (0°, 180°) RF phase, complex at TE (default TR/2).

    Solves M⁺ = (I − R A)⁻¹ R B for instantaneous RF R = R_x(α), free precession A = diag(E2, E2, E1)
    R_z(θ) with θ = 2π Δf TR + π (the π is the RF phase alternation), B = (0, 0, 1 − E1), then lets M⁺
    precess and relax to TE (Hargreaves, Bloch-simulation notes; Bernstein §14.3). On resonance at
    TE = TR/2 this equals PD sinα (1 − E1) √E2 / (1 − (E1 − E2) cosα − E1 E2) in magnitude.
    """
    te = tr / 2.0 if te is None else te
    pd_, t1_, t2_, df = np.broadcast_arrays(_a(pd), _a(t1), _a(t2), _a(off_resonance_hz))
    a = np.deg2rad(flip_deg)
    e1 = np.exp(-tr / t1_)
    e2 = np.exp(-tr / t2_)
    th = 2 * np.pi * df * tr * 1e-3 + np.pi
    c, s = np.cos(th), np.sin(th)
    ca, sa = np.cos(a), np.sin(a)
    shape = pd_.shape
    # R (about x) @ A with A = diag(E2,E2,E1) Rz(th); Rz(th) rotates (x, y) by th.
    A = np.zeros(shape + (3, 3))
    A[..., 0, 0], A[..., 0, 1] = e2 * c, -e2 * s
    A[..., 1, 0], A[..., 1, 1] = e2 * s, e2 * c
    A[..., 2, 2] = e1
    R = np.array([[1.0, 0.0, 0.0], [0.0, ca, sa], [0.0, -sa, ca]])
    M = np.eye(3) - R @ A
    rhs = np.zeros(shape + (3,))
    rhs[..., 1] = sa * (1.0 - e1)
    rhs[..., 2] = ca * (1.0 - e1)
    mp = np.linalg.solve(M, rhs[..., None])[..., 0]
    mxy = mp[..., 0] + 1j * mp[..., 1]
    frac = te / tr
    mxy = mxy * np.exp(-te / t2_) * np.exp(1j * frac * (th - np.pi))
    # report with the phase of the on-resonance signal removed (receiver follows the RF phase)
    return pd_ * mxy * -1j


def diffusion_weighted(pd: ArrayLike, t1: ArrayLike, t2: ArrayLike, adc_mm2_s: ArrayLike, tr: float, te: float,
                       b_s_mm2: float) -> Arr:
    """Single-shot spin-echo EPI DWI (trace): S = PD (1 − e^{−TR/T1}) e^{−TE/T2} e^{−b·ADC} (Bernstein §17.1)."""
    t1, t2 = _a(t1), _a(t2)
    return _a(pd) * (1.0 - np.exp(-tr / t1)) * np.exp(-te / t2) * np.exp(-b_s_mm2 * _a(adc_mm2_s))


def adc_map(s0: ArrayLike, sb: ArrayLike, b_s_mm2: float, floor: float = 1e-6) -> Arr:
    """Apparent diffusion coefficient (mm²/s) from a b = 0 and a b > 0 image: ADC = ln(S0/Sb)/b.

    Pixels where either signal is below ``floor`` (background) return 0.
    """
    if b_s_mm2 <= 0:
        raise ValueError("b must be positive to compute an ADC map")
    s0, sb = _a(s0), _a(sb)
    ok = (s0 > floor) & (sb > floor)
    out = np.zeros(np.broadcast(s0, sb).shape)
    out[ok] = np.log(np.broadcast_to(s0, out.shape)[ok] / np.broadcast_to(sb, out.shape)[ok]) / b_s_mm2
    return np.clip(out, 0.0, None)
