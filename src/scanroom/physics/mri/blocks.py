"""A sequence as a list of blocks (RF, gradients, ADC, duration) — the Pulseq event model in plain data.

Units follow Pulseq: RF amplitude in Hz (γB1/2π), gradients in Hz/m (γG/2π), times in seconds; each event's
times are relative to the start of its block (Layton et al., Pulseq, MRM 2017;77:1544). ``Block.spoil`` is
an extension: an ideal crusher that zeroes the transverse magnetisation at the end of the block, the usual
idealisation of gradient + RF spoiling in Bloch simulation.

Builders make the sequences the engine is validated on: hard/sinc pulses, trapezoids, a Cartesian FLASH,
a spin-echo, an inversion-recovery and a balanced-SSFP experiment (Bernstein et al., *Handbook of MRI
Pulse Sequences*: sinc pulses §2.3, trapezoids §7.1, FLASH §14.1, SSFP §14.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "RFPulse",
    "Gradient",
    "ADC",
    "Block",
    "hard_pulse",
    "sinc_pulse",
    "trapezoid",
    "trapezoid_area",
    "flash_blocks",
    "spin_echo_blocks",
    "inversion_recovery_blocks",
    "bssfp_blocks",
    "GAMMA_HZ_T",
]

GAMMA_HZ_T = 42.577478e6
MAX_GRAD_HZ_M = 40e-3 * GAMMA_HZ_T  # 40 mT/m
MAX_SLEW_HZ_M_S = 150.0 * GAMMA_HZ_T  # 150 T/m/s


@dataclass(frozen=True)
class RFPulse:
    """Complex RF waveform (Hz) on a uniform raster, starting ``delay_s`` into its block."""

    signal_hz: np.ndarray
    dwell_s: float
    delay_s: float = 0.0
    freq_offset_hz: float = 0.0
    phase_offset_rad: float = 0.0

    @property
    def duration_s(self) -> float:
        return len(self.signal_hz) * self.dwell_s

    def flip_deg(self) -> float:
        """Small-tip flip angle 360°·|Σ b1 dt| (exact for a constant-phase pulse on resonance)."""
        return float(360.0 * abs(np.sum(self.signal_hz)) * self.dwell_s)


@dataclass(frozen=True)
class Gradient:
    """Piecewise-linear gradient waveform: corner times (s, from block start) and amplitudes (Hz/m)."""

    times_s: np.ndarray
    amps_hz_m: np.ndarray

    @property
    def area(self) -> float:
        return float(np.trapezoid(self.amps_hz_m, self.times_s))

    @property
    def end_s(self) -> float:
        return float(self.times_s[-1])


@dataclass(frozen=True)
class ADC:
    """``num_samples`` samples at ``delay + (i + ½)·dwell`` (Pulseq convention), demodulated by the phase."""

    num_samples: int
    dwell_s: float
    delay_s: float = 0.0
    phase_offset_rad: float = 0.0

    def sample_times(self) -> np.ndarray:
        return self.delay_s + (np.arange(self.num_samples) + 0.5) * self.dwell_s


@dataclass(frozen=True)
class Block:
    """One block: at most one RF, one gradient per axis and one ADC, lasting ``duration_s``."""

    duration_s: float
    rf: RFPulse | None = None
    gx: Gradient | None = None
    gy: Gradient | None = None
    gz: Gradient | None = None
    adc: ADC | None = None
    spoil: bool = False
    label: str = ""
    extras: dict[str, float] = field(default_factory=dict)


def hard_pulse(flip_deg: float, duration_s: float = 100e-6, phase_rad: float = 0.0, dwell_s: float = 10e-6,
               delay_s: float = 0.0) -> RFPulse:
    """Rectangular pulse: amplitude flip/(360°·T) Hz."""
    n = max(1, int(round(duration_s / dwell_s)))
    amp = flip_deg / 360.0 / (n * dwell_s)
    return RFPulse(np.full(n, amp, complex), dwell_s, delay_s, 0.0, phase_rad)


def sinc_pulse(flip_deg: float, duration_s: float = 2e-3, tbw: float = 4.0, apodization: float = 0.5,
               dwell_s: float = 10e-6, phase_rad: float = 0.0, delay_s: float = 0.0) -> RFPulse:
    """Hanning-apodised sinc with time–bandwidth product ``tbw``, scaled to ``flip_deg`` (Bernstein §2.3)."""
    n = max(2, int(round(duration_s / dwell_s)))
    t = (np.arange(n) + 0.5) * dwell_s - duration_s / 2
    bw = tbw / duration_s
    w = (1 - apodization) + apodization * np.cos(2 * np.pi * t / duration_s)
    s = np.sinc(bw * t) * w
    s = s / (np.sum(s) * dwell_s) * flip_deg / 360.0
    return RFPulse(s.astype(complex), dwell_s, delay_s, 0.0, phase_rad)


def trapezoid(amplitude_hz_m: float, flat_s: float, rise_s: float | None = None, delay_s: float = 0.0) -> Gradient:
    """Trapezoid of the given flat-top amplitude; ramps at the maximum slew rate unless ``rise_s`` is given."""
    rise = rise_s if rise_s is not None else max(10e-6, math.ceil(abs(amplitude_hz_m) / MAX_SLEW_HZ_M_S / 10e-6)
                                                   * 10e-6)
    t = delay_s + np.array([0.0, rise, rise + flat_s, 2 * rise + flat_s])
    return Gradient(t, np.array([0.0, amplitude_hz_m, amplitude_hz_m, 0.0]))


def trapezoid_area(area_per_m: float, delay_s: float = 0.0) -> Gradient:
    """Shortest trapezoid (or triangle) with ``area`` (1/m) within the gradient limits."""
    a = abs(area_per_m)
    rise = math.sqrt(a / MAX_SLEW_HZ_M_S)
    if rise * MAX_SLEW_HZ_M_S <= MAX_GRAD_HZ_M:
        rise = max(10e-6, math.ceil(rise / 10e-6) * 10e-6)
        return trapezoid(area_per_m / rise if rise else 0.0, 0.0, rise, delay_s)
    rise = math.ceil(MAX_GRAD_HZ_M / MAX_SLEW_HZ_M_S / 10e-6) * 10e-6
    flat = math.ceil((a / MAX_GRAD_HZ_M - rise) / 10e-6) * 10e-6
    return trapezoid(area_per_m / (rise + flat), flat, rise, delay_s)


def flash_blocks(n_read: int = 64, n_phase: int = 64, fov_m: float = 0.22, tr_s: float = 10e-3,
                 te_s: float = 4e-3, flip_deg: float = 15.0, dwell_s: float = 20e-6, dummies: int = 0,
                 rf_kind: str = "sinc", slice_m: float = 5e-3, ideal_spoil: bool = True,
                 rf_spoil_deg: float = 0.0) -> list[Block]:
    """Cartesian 2-D spoiled gradient echo (FLASH), linear phase order, ``dummies`` preparation TRs.

    Each TR: [slice-selective excitation] [phase-encode + read prephaser + slice rephaser] [readout with
    ADC] [ideal spoil at the end of TR]. TE is measured from the RF centre to the k-space centre sample.
    """
    dk = 1.0 / fov_m
    if rf_kind == "sinc":
        rf = sinc_pulse(flip_deg, 2e-3, 4.0)
        gsl = trapezoid((4.0 / 2e-3) / slice_m, rf.duration_s)
        rf = RFPulse(rf.signal_hz, rf.dwell_s, float(gsl.times_s[1]))
        rf_block_s = gsl.end_s
        rf_centre = rf.delay_s + rf.duration_s / 2
        rephase = -0.5 * gsl.amps_hz_m[1] * rf.duration_s - 0.5 * gsl.amps_hz_m[1] * float(gsl.times_s[1])
    else:
        rf = hard_pulse(flip_deg, 100e-6)
        gsl = None
        rf_block_s = rf.duration_s
        rf_centre = rf.duration_s / 2
        rephase = 0.0
    t_ro = n_read * dwell_s
    g_ro = trapezoid(dk / dwell_s, t_ro)
    ramp = float(g_ro.times_s[1])
    # k = 0 at ADC sample n/2, which sits at ramp + (n/2 + 1/2)·dwell into the readout block
    pre_area = -g_ro.amps_hz_m[1] * (ramp / 2 + (n_read / 2 + 0.5) * dwell_s)
    pre = trapezoid_area(pre_area)
    pe_max = trapezoid_area(-(n_phase / 2) * dk)
    reph = trapezoid_area(rephase) if rf_kind == "sinc" else None
    t_pre = max(pre.end_s, pe_max.end_s, reph.end_s if reph is not None else 0.0)
    # TE = rf_block - rf_centre + t_pre + ramp + (n/2 + 1/2) dwell  (+ delay)
    te_min = rf_block_s - rf_centre + t_pre + ramp + (n_read / 2 + 0.5) * dwell_s
    if te_s < te_min - 1e-9:
        raise ValueError(f"TE {te_s * 1e3:.2f} ms is below the minimum {te_min * 1e3:.2f} ms")
    delay_te = te_s - te_min
    used = rf_block_s + delay_te + t_pre + g_ro.end_s
    if tr_s < used - 1e-9:
        raise ValueError(f"TR {tr_s * 1e3:.2f} ms is below the minimum {used * 1e3:.2f} ms")
    blocks: list[Block] = []
    phase = 0.0
    inc = 0.0
    for i in range(-dummies, n_phase):
        rfp = RFPulse(rf.signal_hz, rf.dwell_s, rf.delay_s, 0.0, math.radians(phase))
        blocks.append(Block(rf_block_s, rf=rfp, gz=gsl, label="excitation"))
        if delay_te > 0:
            blocks.append(Block(delay_te))
        line = max(i, 0)
        pe = trapezoid_area((line - n_phase / 2) * dk)
        blocks.append(Block(t_pre, gx=pre, gy=pe, gz=reph, label="prephase"))
        adc = ADC(n_read, dwell_s, ramp, math.radians(phase)) if i >= 0 else None
        blocks.append(Block(g_ro.end_s, gx=g_ro, adc=adc, label="readout"))
        blocks.append(Block(tr_s - used, spoil=ideal_spoil, label="spoil"))
        if rf_spoil_deg:
            inc += rf_spoil_deg
            phase = (phase + inc) % 360.0
    return blocks


def spin_echo_blocks(tr_s: float, te_s: float, n_tr: int = 1, n_adc: int = 101, adc_window_s: float = 0.0,
                     pulse_s: float = 100e-6, refocus_phase_rad: float = math.pi / 2) -> list[Block]:
    """90°ₓ – TE/2 – 180° – ADC around TE (``n_adc`` samples over ``adc_window_s``; 1 sample at TE if 0).

    Hard pulses; the refocusing pulse is along y (CPMG); ideal spoiling at the end of every TR.
    """
    half = te_s / 2
    exc = hard_pulse(90.0, pulse_s)
    ref = hard_pulse(180.0, pulse_s, refocus_phase_rad)
    blocks = []
    for _ in range(n_tr):
        blocks.append(Block(pulse_s / 2 + half - pulse_s / 2, rf=exc))
        # the FID block ends at TE/2 - pulse/2; refocusing pulse centred at TE/2
        w = adc_window_s if n_adc > 1 else 0.0
        dwell = (w / n_adc) if n_adc > 1 else 1e-6
        blocks.append(Block(pulse_s, rf=ref))
        pre = half - pulse_s / 2 - w / 2 - (0.0 if n_adc > 1 else dwell / 2)
        adc = ADC(n_adc, dwell, pre)
        dur = pre + n_adc * dwell
        blocks.append(Block(dur, adc=adc))
        blocks.append(Block(tr_s - (pulse_s / 2 + half) - pulse_s - dur, spoil=True))
    return blocks


def inversion_recovery_blocks(tr_s: float, ti_s: float, te_s: float, n_tr: int = 1,
                              pulse_s: float = 100e-6) -> list[Block]:
    """180° – TI – 90° – ADC (one sample, FID) at TE – ideal spoil; TR measured inversion to inversion."""
    blocks = []
    for _ in range(n_tr):
        blocks.append(Block(pulse_s, rf=hard_pulse(180.0, pulse_s)))
        blocks.append(Block(ti_s - pulse_s, spoil=True))
        blocks.append(Block(pulse_s / 2 + te_s - 0.5e-6, rf=hard_pulse(90.0, pulse_s)))
        blocks.append(Block(1e-6, adc=ADC(1, 1e-6)))
        rest = tr_s - ti_s - pulse_s / 2 - te_s - 0.5e-6
        blocks.append(Block(rest, spoil=True))
    return blocks


def bssfp_blocks(tr_s: float, flip_deg: float, n_tr: int, pulse_s: float = 50e-6,
                 prep: bool = True) -> list[Block]:
    """Balanced SSFP with alternating RF phase (0°, 180°), α/2 preparation TR/2 before, ADC at TE = TR/2."""
    blocks = []
    if prep:
        blocks.append(Block(pulse_s, rf=hard_pulse(flip_deg / 2, pulse_s, math.pi)))
        blocks.append(Block(tr_s / 2 - pulse_s))
    for i in range(n_tr):
        ph = math.pi * (i % 2)
        blocks.append(Block(pulse_s, rf=hard_pulse(flip_deg, pulse_s, ph)))
        pre = tr_s / 2 - pulse_s / 2 - 0.5e-6
        blocks.append(Block(pre + 1e-6, adc=ADC(1, 1e-6, pre, ph)))
        blocks.append(Block(tr_s - pulse_s - pre - 1e-6))
    return blocks
