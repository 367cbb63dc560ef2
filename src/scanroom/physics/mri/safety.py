"""RF heating (SAR), nerve stimulation (dB/dt) and acoustic noise: estimates and IEC 60601-2-33 limits.

SAR model
---------
An RF pulse of flip α and duration τ needs ∫B1 dt = α/γ; its energy is ∝ ∫B1² dt = (α/γ)² K/τ with the
shape factor K = τ∫b²/(∫b)² (1 for a rectangle, ≈ 2–3 for apodised sincs). The time-averaged
B1⁺rms² = Σ ∫B1² dt / TR, and the deposited power ∝ σ ω0² B1² R² (Bottomley & Edelstein, Med Phys
1981;8:510), i.e. SAR ∝ B0² α² duty — the textbook law. The scale is calibrated on FDTD body models with a
body-coil drive (Makarov et al., IEEE Rev Biomed Eng 2017;10:95, Table VI: whole-body SAR per (1 µT)² of
B1⁺ at 64 MHz 0.13–0.18 W/kg, at 128 MHz 0.24–0.58 W/kg; smaller for a 55 kg female than for a 122 kg male
model, ≈ mass^0.4): SAR_wb = 0.15 W/kg · (B0/1.5 T)² · (B1⁺rms/µT)² · (m/75 kg)^0.4. Head SAR is the
average over a conducting cylinder in a circularly polarised field, σ ω0² B1rms² R²/(4ρ) (same source),
with σ = 0.5 S/m, R = 85 mm, ρ = 1040 kg/m³. A teaching estimate, not dosimetry.

Limits (IEC 60601-2-33:2010 + A1:2013 + A2:2015, 6-min averages; volume transmit coil)
--------------------------------------------------------------------------------------
whole body: normal 2 W/kg, first level 4 W/kg; head: 3.2 W/kg in both modes; partial body: normal
10 − 8·(exposed/total mass), first level 10 − 6·(exposed/total mass) W/kg. Above first level the scan needs
the second-level mode (research, IRB approval): the console refuses it.

Nerve stimulation (PNS) and acoustic noise
------------------------------------------
dB/dt limits follow the hyperbolic strength–duration law L(t) = rb(1 + c/t_eff) with rheobase rb = 20 T/s
and chronaxie c = 0.36 ms for whole-body gradients; normal mode allows 80 % of L, first level 100 %
(IEC 60601-2-33; Schaefer, Bourland & Nyenhuis, JMRI 2000;12:20). dB/dt at radius r from isocentre is
slew·r. Acoustic noise is Lorentz force on the gradient windings: sound pressure ∝ I·B0, so it rises about
6 dB per doubling of field or gradient amplitude; IEC requires hearing protection above 99 dB(A) and caps
peak sound pressure at 140 dB (Price et al., JMRI 2001;13:288 measured up to ≈ 115–130 dB(A) for EPI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scanroom.physics.mri.sequences import INVERSION_MS, SequenceParams

__all__ = [
    "RFPulseSpec",
    "SarReport",
    "PnsReport",
    "LIMITS_W_KG",
    "pulses_for_sequence",
    "b1_rms_ut",
    "sar_estimate",
    "check_sar",
    "pns_check",
    "acoustic_noise_db",
]

GAMMA_RAD = 2 * math.pi * 42.577478e6
SAR_WB_PER_UT2_1P5T = 0.15  # W/kg per (µT)² at 1.5 T, 75 kg (Makarov et al. 2017, Table VI)
MASS_EXPONENT = 0.4
LIMITS_W_KG = {
    "whole-body": {"normal": 2.0, "first-level": 4.0},
    "head": {"normal": 3.2, "first-level": 3.2},
}
Mode = Literal["normal", "first-level", "refused"]

# shape factors K = τ∫b²/(∫b)²: rectangle 1; Hanning-apodised sinc, time–bandwidth 4 (blocks.sinc_pulse) ≈ 2.4;
# hyperbolic-secant adiabatic inversion (μ = 5, β = 800 /s) ≈ 4 relative to an ideal 180°.
SHAPE_SINC = 2.4
SHAPE_ADIABATIC = 4.0


@dataclass(frozen=True)
class RFPulseSpec:
    """One RF pulse per slice per TR: flip (deg), duration (ms), shape factor K."""

    flip_deg: float
    duration_ms: float
    shape_factor: float = SHAPE_SINC
    count: int = 1  # how many of these per slice per TR (e.g. refocusing pulses of an echo train)


@dataclass(frozen=True)
class SarReport:
    """SAR estimate and what the console must do with it."""

    b1_rms_ut: float
    whole_body_w_kg: float
    head_w_kg: float
    mode: Mode
    refused: bool
    limiting: str  # which limit sets the mode ("whole-body" or "head")
    limit_w_kg: float
    sed_kj_kg: float  # specific energy dose over the scan
    message: str


@dataclass(frozen=True)
class PnsReport:
    db_dt_t_s: float
    limit_normal_t_s: float
    limit_first_t_s: float
    mode: Mode
    refused: bool


def pulses_for_sequence(p: SequenceParams) -> list[RFPulseSpec]:
    """RF pulses each slice receives per TR for a :class:`SequenceParams` protocol."""
    exc = RFPulseSpec(p.flip_deg, p.rf_ms, SHAPE_SINC if p.family not in ("bssfp",) else 1.5)
    out = [exc]
    if p.family in ("se", "dwi"):
        out.append(RFPulseSpec(p.refocus_deg, p.refocus_ms))
    if p.family in ("tse", "ir"):
        out.append(RFPulseSpec(p.refocus_deg, p.refocus_ms, count=p.etl))
    if p.family == "ir":
        out.append(RFPulseSpec(180.0, INVERSION_MS / 2, SHAPE_ADIABATIC))
    if p.fat_sat:
        out.append(RFPulseSpec(110.0, 10.0, 1.5))  # spectrally selective Gaussian
    return out


def b1_rms_ut(pulses: list[RFPulseSpec], tr_ms: float, slices_per_tr: int = 1) -> float:
    """Time-averaged B1⁺rms (µT) over a TR: sqrt(Σ (α/γ)² K / τ / TR)."""
    e = 0.0
    for q in pulses:
        a = math.radians(q.flip_deg)
        tau = q.duration_ms * 1e-3
        e += q.count * (a / GAMMA_RAD) ** 2 * q.shape_factor / tau
    return math.sqrt(e * slices_per_tr / (tr_ms * 1e-3)) * 1e6


def sar_estimate(pulses: list[RFPulseSpec], tr_ms: float, field_t: float, weight_kg: float,
                 slices_per_tr: int = 1, scan_time_s: float = 0.0, region: str = "body") -> SarReport:
    """Whole-body and head SAR (W/kg) and the IEC operating mode; see the module docstring."""
    if not 20 <= weight_kg <= 300:
        raise ValueError(f"patient weight must be 20–300 kg, got {weight_kg:g}")
    if tr_ms <= 0 or field_t <= 0:
        raise ValueError("TR and field strength must be positive")
    b1 = b1_rms_ut(pulses, tr_ms, slices_per_tr)
    wb = SAR_WB_PER_UT2_1P5T * (field_t / 1.5) ** 2 * b1**2 * (weight_kg / 75.0) ** MASS_EXPONENT
    omega = GAMMA_RAD * field_t
    head = 0.5 * omega**2 * (b1 * 1e-6) ** 2 * 0.085**2 / (4 * 1040.0)
    checks = [("whole-body", wb)] + ([("head", head)] if region == "head" else [])
    mode: Mode = "normal"
    limiting, limit = "whole-body", LIMITS_W_KG["whole-body"]["normal"]
    for name, val in checks:
        lim = LIMITS_W_KG[name]
        if val > lim["first-level"] + 1e-12:
            mode, limiting, limit = "refused", name, lim["first-level"]
            break
        if val > lim["normal"] + 1e-12 and mode == "normal":
            mode, limiting, limit = "first-level", name, lim["first-level"]
    refused = mode == "refused"
    val = dict(checks)[limiting]
    if refused:
        msg = (f"{limiting} SAR {val:.2f} W/kg exceeds the first-level limit {limit:g} W/kg (IEC 60601-2-33): "
               "lengthen TR, lower the flip/refocusing angles, reduce the echo-train length or slices per TR")
    elif mode == "first-level":
        msg = (f"{limiting} SAR {val:.2f} W/kg is above the normal-mode limit: first-level controlled mode, "
               "needs operator confirmation and medical supervision")
    else:
        msg = f"normal operating mode (whole-body SAR {wb:.2f} W/kg)"
    return SarReport(b1, wb, head, mode, refused, limiting, limit, wb * scan_time_s / 1000.0, msg)


def check_sar(pulses: list[RFPulseSpec], tr_ms: float, field_t: float, weight_kg: float, slices_per_tr: int = 1,
              scan_time_s: float = 0.0, region: str = "body") -> SarReport:
    """Like :func:`sar_estimate` but raise ``ValueError`` when the scan must be refused."""
    r = sar_estimate(pulses, tr_ms, field_t, weight_kg, slices_per_tr, scan_time_s, region)
    if r.refused:
        raise ValueError(r.message)
    return r


def pns_check(slew_t_m_s: float, rise_time_ms: float, radius_m: float = 0.25) -> PnsReport:
    """dB/dt = slew·r against the IEC whole-body-gradient limit rb(1 + c/t_eff), rb 20 T/s, c 0.36 ms."""
    if slew_t_m_s < 0 or rise_time_ms <= 0:
        raise ValueError("slew rate must be ≥ 0 and rise time > 0")
    dbdt = slew_t_m_s * radius_m
    L = 20.0 * (1.0 + 0.36 / rise_time_ms)
    if dbdt <= 0.8 * L:
        mode: Mode = "normal"
    elif dbdt <= L:
        mode = "first-level"
    else:
        mode = "refused"
    return PnsReport(dbdt, 0.8 * L, L, mode, mode == "refused")


def acoustic_noise_db(field_t: float, grad_mt_m: float, ref_db: float = 105.0) -> float:
    """Rough A-weighted sound level: ``ref_db`` at 1.5 T and 25 mT/m, +20·log10 of the B0·G ratio."""
    return ref_db + 20.0 * math.log10(max(field_t * grad_mt_m, 1e-9) / (1.5 * 25.0))
