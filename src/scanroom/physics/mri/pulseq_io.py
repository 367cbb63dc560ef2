"""Pulseq (.seq) interchange through pypulseq: build sequences with pypulseq, read/write files, convert
to the block model of :mod:`.blocks` so the Bloch engine can run them.

This is the only module of the MRI core that touches files, and only at paths the caller passes
(Layton et al., Pulseq: a rapid and hardware-independent pulse sequence prototyping framework, MRM
2017;77:1544; Ravi et al., Pulseq-GPI / pypulseq, JOSS 2019;4:1725).
"""

from __future__ import annotations

import math
from dataclasses import replace
from os import PathLike
from typing import Any

import numpy as np

from scanroom.physics.mri.blocks import ADC, Block, Gradient, RFPulse

__all__ = ["system_limits", "make_flash", "make_spin_echo", "write_seq", "read_seq", "blocks_from_pypulseq"]


def _pp() -> Any:
    import pypulseq  # local import: only Pulseq users pay for it

    return pypulseq


def system_limits(max_grad_mt_m: float = 32.0, max_slew_t_m_s: float = 130.0) -> Any:
    """pypulseq ``Opts`` for a typical clinical gradient system."""
    pp = _pp()
    return pp.Opts(max_grad=max_grad_mt_m, grad_unit="mT/m", max_slew=max_slew_t_m_s, slew_unit="T/m/s",
                   rf_ringdown_time=20e-6, rf_dead_time=100e-6, adc_dead_time=10e-6)


def make_flash(n_read: int = 64, n_phase: int = 64, fov_m: float = 0.22, slice_m: float = 5e-3, tr_s: float = 12e-3,
               te_s: float = 5e-3, flip_deg: float = 15.0, dwell_s: float = 20e-6, rf_spoil_deg: float = 117.0,
               dummies: int = 0) -> Any:
    """2-D Cartesian FLASH in pypulseq (after the pypulseq ``write_gre`` example) with RF spoiling."""
    pp = _pp()
    sys = system_limits()
    seq = pp.Sequence(sys)
    rf, gz, _ = pp.make_sinc_pulse(flip_angle=math.radians(flip_deg), duration=2e-3, slice_thickness=slice_m,
                                   apodization=0.5, time_bw_product=4, system=sys, return_gz=True,
                                   delay=sys.rf_dead_time)
    dk = 1.0 / fov_m
    gx = pp.make_trapezoid(channel="x", flat_area=n_read * dk, flat_time=n_read * dwell_s, system=sys)
    adc = pp.make_adc(num_samples=n_read, duration=gx.flat_time, delay=gx.rise_time, system=sys)
    gx_pre = pp.make_trapezoid(channel="x", area=-gx.area / 2, duration=1e-3, system=sys)
    gz_reph = pp.make_trapezoid(channel="z", area=-gz.area / 2, duration=1e-3, system=sys)
    gx_spoil = pp.make_trapezoid(channel="x", area=2 * n_read * dk, system=sys)
    gz_spoil = pp.make_trapezoid(channel="z", area=4 / slice_m, system=sys)
    rast = sys.grad_raster_time
    delay_te = math.ceil((te_s - pp.calc_duration(gx_pre) - gz.fall_time - gz.flat_time / 2
                          - pp.calc_duration(gx) / 2) / rast) * rast
    delay_tr = math.ceil((tr_s - pp.calc_duration(gz) - pp.calc_duration(gx_pre) - pp.calc_duration(gx)
                          - delay_te) / rast) * rast
    if delay_te < 0 or delay_tr < pp.calc_duration(gx_spoil, gz_spoil):
        raise ValueError("TE/TR too short for this FLASH")
    phase, inc = 0.0, 0.0
    for i in range(-dummies, n_phase):
        rf.phase_offset = math.radians(phase)
        adc.phase_offset = math.radians(phase)
        inc = (inc + rf_spoil_deg) % 360.0
        phase = (phase + inc) % 360.0
        seq.add_block(rf, gz)
        pe = pp.make_trapezoid(channel="y", area=(max(i, 0) - n_phase / 2) * dk, duration=1e-3, system=sys)
        seq.add_block(gx_pre, pe, gz_reph)
        seq.add_block(pp.make_delay(delay_te))
        if i >= 0:
            seq.add_block(gx, adc)
        else:
            seq.add_block(gx)
        pe_r = pp.make_trapezoid(channel="y", area=-(max(i, 0) - n_phase / 2) * dk, duration=1e-3, system=sys)
        seq.add_block(pp.make_delay(delay_tr), gx_spoil, pe_r, gz_spoil)
    seq.set_definition("FOV", [fov_m, fov_m, slice_m])
    seq.set_definition("Name", "scanroom-flash")
    return seq


def make_spin_echo(te_s: float = 30e-3, tr_s: float = 500e-3, n_tr: int = 1, n_adc: int = 128,
                   window_s: float = 12.8e-3) -> Any:
    """Non-selective 90°–180° spin echo with an ADC window centred on TE (for echo formation)."""
    pp = _pp()
    sys = system_limits()
    seq = pp.Sequence(sys)
    r90 = pp.make_block_pulse(flip_angle=math.pi / 2, duration=100e-6, system=sys, delay=sys.rf_dead_time)
    r180 = pp.make_block_pulse(flip_angle=math.pi, duration=100e-6, phase_offset=math.pi / 2, system=sys,
                               delay=sys.rf_dead_time)
    adc = pp.make_adc(num_samples=n_adc, duration=window_s, system=sys)
    c90 = sys.rf_dead_time + 50e-6
    d90 = pp.calc_duration(r90)
    d180 = pp.calc_duration(r180)
    rast = sys.block_duration_raster
    w1 = round((te_s / 2 - (d90 - c90) - (sys.rf_dead_time + 50e-6)) / rast) * rast
    w2 = round((te_s / 2 - (d180 - sys.rf_dead_time - 50e-6) - window_s / 2) / rast) * rast
    for _ in range(n_tr):
        seq.add_block(r90)
        seq.add_block(pp.make_delay(w1))
        seq.add_block(r180)
        seq.add_block(pp.make_delay(w2))
        seq.add_block(adc)
        used = d90 + w1 + d180 + w2 + pp.calc_duration(adc)
        seq.add_block(pp.make_delay(round((tr_s - used) / rast) * rast))
    return seq


def write_seq(seq: Any, path: str | PathLike[str]) -> None:
    """Write a pypulseq ``Sequence`` to ``path`` (.seq, Pulseq 1.4/1.5 format)."""
    seq.write(str(path), create_signature=True)


def read_seq(path: str | PathLike[str], rf_dwell_s: float = 10e-6, ideal_spoil: bool = False) -> list[Block]:
    """Read a .seq file from ``path`` into the block model (see :func:`blocks_from_pypulseq`)."""
    pp = _pp()
    seq = pp.Sequence()
    seq.read(str(path))
    return blocks_from_pypulseq(seq, rf_dwell_s=rf_dwell_s, ideal_spoil=ideal_spoil)


def _grad(g: Any) -> Gradient | None:
    if g is None:
        return None
    if g.type == "trap":
        t = g.delay + np.array([0.0, g.rise_time, g.rise_time + g.flat_time, g.rise_time + g.flat_time + g.fall_time])
        return Gradient(t, np.array([0.0, g.amplitude, g.amplitude, 0.0]))
    tt = np.asarray(g.tt, float)
    wf = np.asarray(g.waveform, float)
    # arbitrary gradients: samples at raster centres, with first/last values at the edges
    if len(tt) and tt[0] > 0:
        dt = float(tt[1] - tt[0]) if len(tt) > 1 else 2 * float(tt[0])
        t = np.concatenate([[0.0], tt, [tt[-1] + dt / 2]])
        w = np.concatenate([[getattr(g, "first", wf[0])], wf, [getattr(g, "last", wf[-1])]])
    else:
        t, w = tt, wf
    return Gradient(g.delay + t, w)


def _rf(rf: Any, rf_dwell_s: float) -> RFPulse:
    t = np.asarray(rf.t, float)
    s = np.asarray(rf.signal, complex)
    dur = float(rf.shape_dur)
    n = max(1, int(round(dur / rf_dwell_s)))
    # resample the (possibly 1 µs) RF raster to a coarser one by averaging B1 over each new interval
    edges = np.linspace(0.0, dur, n + 1)
    dt_src = np.diff(np.concatenate([[0.0], (t[1:] + t[:-1]) / 2, [dur]]))
    cum = np.concatenate([[0.0], np.cumsum(s * dt_src)])
    tb = np.concatenate([[0.0], (t[1:] + t[:-1]) / 2, [dur]])
    area = np.interp(edges, tb, cum.real) + 1j * np.interp(edges, tb, cum.imag)
    b1 = np.diff(area) / (dur / n)
    return RFPulse(b1, dur / n, float(rf.delay), float(rf.freq_offset), float(rf.phase_offset))


def blocks_from_pypulseq(seq: Any, rf_dwell_s: float = 10e-6, ideal_spoil: bool = False) -> list[Block]:
    """Convert every block of a pypulseq ``Sequence`` (RF, trapezoid/arbitrary gradients, ADC, delays).

    The RF raster is resampled to ``rf_dwell_s`` preserving the B1 integral over each interval. With
    ``ideal_spoil`` the transverse magnetisation is zeroed at the end of the block before every excitation
    (< 135°) after the first: the idealisation of spoiling (for spoiled sequences only), needed when one
    isochromat per voxel cannot dephase under the spoiler gradients.
    """
    out: list[Block] = []
    excited = False
    for i in seq.block_events:
        b = seq.get_block(i)
        rf = _rf(b.rf, rf_dwell_s) if b.rf is not None else None
        adc = None
        if b.adc is not None:
            adc = ADC(int(b.adc.num_samples), float(b.adc.dwell), float(b.adc.delay), float(b.adc.phase_offset))
        if ideal_spoil and rf is not None and rf.flip_deg() < 135.0:
            if excited and out:
                out[-1] = replace(out[-1], spoil=True)
            excited = True
        out.append(Block(float(seq.block_durations[i]), rf=rf, gx=_grad(b.gx), gy=_grad(b.gy), gz=_grad(b.gz),
                         adc=adc))
    return out
