"""Sequence protocols: stable ids, default parameters at 1.5 T and 3 T, validation, timing, tissue signal.

A :class:`SequenceParams` is plain data (a pydantic model can mirror it field by field). The timing model
(readout = 1/BW per pixel, fixed RF and crusher durations) gives minimum TE/TR, the time slot one slice
needs inside TR (for interleaved multi-slice) and so the scan time in :mod:`.kspace`.

Defaults are textbook clinical values: Westbrook, Roth & Talbot, *MRI in Practice*, 5th ed. (2018) ch. 2–4
(T1 SE TR 400–700/TE 10–20; T2 TR > 2000/TE 80–120; PD TR > 2000/TE 10–30), Bernstein et al., *Handbook
of MRI Pulse Sequences* (2004) §14 (IR, SSFP), §16 (RARE), §17 (diffusion). FLAIR/STIR TIs are computed
from the tissue T1 with the null condition (→ T1·ln 2 for TR ≫ T1, Bernstein §14.2); Stanisz et al.,
MRM 2005;54:507 and de Bazelaire et al., Radiology 2004;230:652 supply the T1s via the material database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from scanroom.physics.materials import get_material
from scanroom.physics.mri import signal as sig
from scanroom.physics.mri.tissue import TissueTable, larmor_hz

__all__ = [
    "SEQUENCE_IDS",
    "Family",
    "SequenceParams",
    "default_params",
    "validate_sequence",
    "tissue_signal",
    "readout_ms",
    "min_te_ms",
    "slice_slot_ms",
    "describe",
]

Family = Literal["se", "tse", "ir", "gre", "bssfp", "dwi"]
SEQUENCE_IDS = ("t1-se", "t2-tse", "pd-tse", "flair", "stir", "t1-gre", "t2star-gre", "bssfp", "dwi")

_FAMILY: dict[str, Family] = {"t1-se": "se", "t2-tse": "tse", "pd-tse": "tse", "flair": "ir", "stir": "ir",
                              "t1-gre": "gre", "t2star-gre": "gre", "bssfp": "bssfp", "dwi": "dwi"}
_NAMES = {
    "t1-se": "T1-weighted spin echo",
    "t2-tse": "T2-weighted turbo spin echo",
    "pd-tse": "Proton-density turbo spin echo",
    "flair": "FLAIR (fluid-attenuated inversion recovery, TSE readout)",
    "stir": "STIR (short-tau inversion recovery, TSE readout)",
    "t1-gre": "T1-weighted spoiled gradient echo (2D FLASH)",
    "t2star-gre": "T2*-weighted spoiled gradient echo",
    "bssfp": "Balanced steady-state free precession (TrueFISP/FIESTA)",
    "dwi": "Diffusion-weighted single-shot spin-echo EPI",
}

FAT_SAT_RESIDUAL = 0.05  # fraction of fat signal left by a spectral fat-saturation pulse (ideal B0/B1)
CRUSHER_MS = 1.0  # crusher/prephaser/spoiler lobe
INVERSION_MS = 10.0  # adiabatic/sinc inversion pulse plus its spoiler


@dataclass(frozen=True)
class SequenceParams:
    """Timing and contrast parameters of one sequence (times in ms, angles in degrees)."""

    sequence_id: str
    family: Family
    tr_ms: float
    te_ms: float  # TE, or the effective TE of an echo train
    flip_deg: float = 90.0
    refocus_deg: float = 180.0
    ti_ms: float | None = None
    etl: int = 1  # echo-train length (turbo factor); 1 for SE/GRE
    esp_ms: float = 0.0  # echo spacing of the train
    bandwidth_hz_px: float = 130.0  # receiver bandwidth per pixel (readout duration = 1/BW)
    rf_ms: float = 2.56  # excitation pulse duration
    refocus_ms: float = 3.0  # refocusing pulse duration (SE/TSE/IR/DWI)
    b_value_s_mm2: float = 0.0  # DWI only
    ir_recon: Literal["magnitude", "real"] = "magnitude"
    sequential: bool = False  # one slice at a time (bSSFP) instead of interleaved in TR
    fat_sat: bool = False  # spectral fat saturation: fat-shifted tissues keep FAT_SAT_RESIDUAL of their signal


def readout_ms(p: SequenceParams) -> float:
    """Duration of one readout (ADC window) = 1/(bandwidth per pixel)."""
    return 1000.0 / p.bandwidth_hz_px


def min_te_ms(p: SequenceParams) -> float:
    """Shortest TE the timing model allows (RF centre to echo)."""
    ro = readout_ms(p)
    if p.family in ("gre", "bssfp"):
        return p.rf_ms / 2 + CRUSHER_MS + ro / 2
    half = max(p.rf_ms / 2 + CRUSHER_MS + p.refocus_ms / 2, p.refocus_ms / 2 + CRUSHER_MS + ro / 2)
    if p.family == "dwi":
        return 2 * half + 40.0  # room for the two diffusion lobes (≈ b 1000 on 40 mT/m)
    return 2 * half


def _echo_train_ms(p: SequenceParams) -> float:
    return p.etl * p.esp_ms if p.family in ("tse", "ir") else 0.0


def slice_slot_ms(p: SequenceParams, epi_lines: int = 0) -> float:
    """Time one slice occupies inside TR (excitation to end of its last readout plus spoiling)."""
    ro = readout_ms(p)
    if p.family in ("gre", "bssfp"):
        return p.rf_ms / 2 + p.te_ms + ro / 2 + (0.0 if p.family == "bssfp" else CRUSHER_MS)
    if p.family == "se":
        return p.rf_ms / 2 + p.te_ms + ro / 2 + CRUSHER_MS
    if p.family == "tse":
        return p.rf_ms / 2 + p.etl * p.esp_ms + CRUSHER_MS
    if p.family == "ir":  # the TI wait is filled by other slices' readouts; the slot holds the rest
        return INVERSION_MS + p.rf_ms / 2 + p.etl * p.esp_ms + CRUSHER_MS
    # dwi: single-shot EPI centred on TE
    return p.rf_ms / 2 + p.te_ms + epi_lines * ro / 2 + CRUSHER_MS


def default_params(sequence_id: str, field_t: float = 1.5) -> SequenceParams:
    """Textbook default protocol for ``sequence_id`` at ``field_t`` (1.5 T or 3 T; others interpolate)."""
    if sequence_id not in _FAMILY:
        raise ValueError(f"unknown sequence id {sequence_id!r}; known: {', '.join(SEQUENCE_IDS)}")
    hi = field_t >= 2.25
    f = _FAMILY[sequence_id]
    if sequence_id == "t1-se":
        p = SequenceParams(sequence_id, f, tr_ms=600.0 if hi else 500.0, te_ms=12.0, bandwidth_hz_px=180.0)
    elif sequence_id == "t2-tse":
        p = SequenceParams(sequence_id, f, tr_ms=5000.0 if hi else 4000.0, te_ms=100.0, etl=16, esp_ms=10.0,
                           bandwidth_hz_px=220.0, refocus_deg=150.0 if hi else 180.0)
    elif sequence_id == "pd-tse":
        p = SequenceParams(sequence_id, f, tr_ms=3500.0 if hi else 3000.0, te_ms=20.0, etl=8, esp_ms=10.0,
                           bandwidth_hz_px=220.0, refocus_deg=150.0 if hi else 180.0)
    elif sequence_id == "flair":
        p = SequenceParams(sequence_id, f, tr_ms=10000.0 if hi else 9000.0, te_ms=120.0, etl=16, esp_ms=10.0,
                           bandwidth_hz_px=220.0, refocus_deg=150.0 if hi else 180.0)
        t1 = get_material("csf").t1_ms(field_t)
        p = replace(p, ti_ms=round(float(sig.inversion_null_ti(t1, p.tr_ms, _echo_train_ms(p))), 0))
    elif sequence_id == "stir":
        p = SequenceParams(sequence_id, f, tr_ms=4500.0 if hi else 4000.0, te_ms=40.0, etl=8, esp_ms=10.0,
                           bandwidth_hz_px=220.0, refocus_deg=150.0 if hi else 180.0)
        t1 = get_material("adipose").t1_ms(field_t)
        p = replace(p, ti_ms=round(float(sig.inversion_null_ti(t1, p.tr_ms, _echo_train_ms(p))), 0))
    elif sequence_id == "t1-gre":
        # in-phase TE (fat and water aligned, 1/Δf_fw): 4.6 ms at 1.5 T (1st), 3 T (2nd in-phase echo)
        p = SequenceParams(sequence_id, f, tr_ms=250.0, te_ms=4.6, flip_deg=70.0,
                           bandwidth_hz_px=300.0, rf_ms=1.0)
    elif sequence_id == "t2star-gre":
        p = SequenceParams(sequence_id, f, tr_ms=650.0, te_ms=15.0 if hi else 20.0, flip_deg=20.0,
                           bandwidth_hz_px=130.0, rf_ms=1.0)
    elif sequence_id == "bssfp":
        p = SequenceParams(sequence_id, f, tr_ms=4.6 if hi else 5.0, te_ms=2.3 if hi else 2.5,
                           flip_deg=45.0 if hi else 60.0, bandwidth_hz_px=930.0, rf_ms=0.8, sequential=True)
    else:  # dwi
        p = SequenceParams(sequence_id, f, tr_ms=5000.0, te_ms=75.0 if hi else 90.0, bandwidth_hz_px=1500.0,
                           b_value_s_mm2=1000.0, fat_sat=True)
    return p


def validate_sequence(p: SequenceParams) -> None:
    """Raise ``ValueError`` with a readable reason if the parameters cannot be played out."""
    if p.sequence_id not in _FAMILY or _FAMILY[p.sequence_id] != p.family:
        raise ValueError(f"sequence {p.sequence_id!r} does not belong to family {p.family!r}")
    for name in ("tr_ms", "te_ms", "bandwidth_hz_px", "rf_ms", "refocus_ms"):
        v = getattr(p, name)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive number, got {v}")
    if p.te_ms >= p.tr_ms:
        raise ValueError(f"TE ({p.te_ms:g} ms) must be shorter than TR ({p.tr_ms:g} ms)")
    if not 0 < p.flip_deg <= 180:
        raise ValueError(f"flip angle must be in (0, 180] degrees, got {p.flip_deg:g}")
    if not 30 <= p.refocus_deg <= 180:
        raise ValueError(f"refocusing angle must be in [30, 180] degrees, got {p.refocus_deg:g}")
    if not 15 <= p.bandwidth_hz_px <= 5000:
        raise ValueError(f"receiver bandwidth must be 15–5000 Hz/pixel, got {p.bandwidth_hz_px:g}")
    te_min = min_te_ms(p)
    if p.family not in ("tse", "ir") and p.te_ms < te_min - 1e-9:
        raise ValueError(f"TE {p.te_ms:g} ms is below the minimum {te_min:.2f} ms for this bandwidth "
                         f"({p.bandwidth_hz_px:g} Hz/px); raise the bandwidth or TE")
    if p.family in ("tse", "ir"):
        if p.etl < 1 or p.esp_ms <= 0:
            raise ValueError("echo train needs ETL ≥ 1 and a positive echo spacing")
        esp_min = p.refocus_ms + 2 * CRUSHER_MS + readout_ms(p)
        if p.esp_ms < esp_min - 1e-9:
            raise ValueError(f"echo spacing {p.esp_ms:g} ms is below the minimum {esp_min:.2f} ms")
        k = p.te_ms / p.esp_ms
        if abs(k - round(k)) > 1e-6 or not 1 <= round(k) <= p.etl:
            raise ValueError(f"effective TE {p.te_ms:g} ms must be a whole number (1–{p.etl}) of echo "
                             f"spacings ({p.esp_ms:g} ms)")
    elif p.etl != 1:
        raise ValueError(f"{p.family} sequences have no echo train (ETL must be 1)")
    if p.family == "ir":
        if p.ti_ms is None:
            raise ValueError("inversion recovery needs TI")
        ti_max = p.tr_ms - slice_slot_ms(p)
        if not INVERSION_MS / 2 <= p.ti_ms <= ti_max:
            raise ValueError(f"TI {p.ti_ms:g} ms is out of range ({INVERSION_MS / 2:g}–{ti_max:.0f} ms for "
                             f"TR {p.tr_ms:g} ms)")
    elif p.ti_ms is not None:
        raise ValueError(f"TI is only defined for inversion recovery, not {p.family}")
    if p.family == "dwi":
        if not 0 <= p.b_value_s_mm2 <= 5000:
            raise ValueError(f"b-value must be 0–5000 s/mm², got {p.b_value_s_mm2:g}")
    elif p.b_value_s_mm2 != 0:
        raise ValueError("b-value is only defined for DWI")
    slot = slice_slot_ms(p)
    if slot > p.tr_ms:
        raise ValueError(f"TR {p.tr_ms:g} ms is too short: one slice needs {slot:.1f} ms")


def tissue_signal(p: SequenceParams, table: TissueTable,
                  off_resonance_hz: np.ndarray | float = 0.0) -> np.ndarray:
    """Complex signal per label value (look-up table) for sequence ``p`` on tissues ``table``.

    Gradient echoes carry the fat–water phase e^{i2πΔf·TE} (chemical shift of the second kind, Haacke
    §17.3); spin echoes refocus it. Inversion recovery is signed (real) unless ``ir_recon='magnitude'``
    is applied later by the reconstruction. ``off_resonance_hz`` (scalar or per-label) adds to the
    chemical shift for bSSFP banding.
    """
    t = table
    df_cs = t.chemical_shift_ppm * 1e-6 * larmor_hz(t.field_t)
    f = p.family
    if f == "se":
        s = sig.spin_echo(t.pd, t.t1_ms, t.t2_ms, p.tr_ms, p.te_ms).astype(complex)
    elif f == "tse":
        s = sig.turbo_spin_echo(t.pd, t.t1_ms, t.t2_ms, p.tr_ms, p.te_ms, p.etl, p.esp_ms).astype(complex)
    elif f == "ir":
        assert p.ti_ms is not None
        s = sig.inversion_recovery(t.pd, t.t1_ms, t.t2_ms, p.tr_ms, p.ti_ms, p.te_ms,
                                   readout_ms=_echo_train_ms(p)).astype(complex)
    elif f == "gre":
        s = sig.spoiled_gre(t.pd, t.t1_ms, t.t2s_ms, p.tr_ms, p.te_ms, p.flip_deg) \
            * np.exp(2j * np.pi * df_cs * p.te_ms * 1e-3)
    elif f == "bssfp":
        s = sig.bssfp(t.pd, t.t1_ms, t.t2_ms, p.tr_ms, p.flip_deg, te=p.te_ms,
                      off_resonance_hz=df_cs + off_resonance_hz)
    else:
        s = sig.diffusion_weighted(t.pd, t.t1_ms, t.t2_ms, t.adc_mm2_s, p.tr_ms, p.te_ms,
                                   p.b_value_s_mm2).astype(complex)
    if p.fat_sat:
        s = np.where(t.chemical_shift_ppm != 0, s * FAT_SAT_RESIDUAL, s)
    return np.asarray(s, dtype=np.complex128)


def describe(p: SequenceParams) -> str:
    """One-line human description, e.g. ``'FLAIR … TR 9000 / TE 120 / TI 2500 ms'``."""
    parts = [f"TR {p.tr_ms:g}", f"TE {p.te_ms:g}"]
    if p.ti_ms is not None:
        parts.append(f"TI {p.ti_ms:g}")
    s = f"{_NAMES[p.sequence_id]}: {' / '.join(parts)} ms"
    if p.family in ("gre", "bssfp"):
        s += f", flip {p.flip_deg:g}°"
    if p.etl > 1:
        s += f", ETL {p.etl}"
    if p.family == "dwi":
        s += f", b {p.b_value_s_mm2:g} s/mm²"
    if p.fat_sat:
        s += ", fat sat"
    return s
