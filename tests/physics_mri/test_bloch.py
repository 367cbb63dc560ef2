"""Bloch engine against analytic steady states, echo formation, imaging, slice profile and Pulseq I/O."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scanroom.physics.mri import blocks as bk
from scanroom.physics.mri import signal as sig
from scanroom.physics.mri.bloch import (
    Spins,
    flatten,
    kspace_trajectory,
    lorentzian_offsets,
    simulate,
    simulate_numpy,
    spins_from_labels,
)
from scanroom.physics.mri.geometry import SliceGeometry, labels_on_grid, slice_planes
from scanroom.physics.mri.kspace import ifft2c
from scanroom.physics.mri.testobjects import brain_phantom
from scanroom.physics.mri.tissue import tissue_table

T1, T2 = 0.884, 0.072  # white matter at 1.5 T (s)


def one(t1: float = T1, t2: float = T2) -> Spins:
    return Spins(np.zeros((1, 3)), np.zeros(1), np.array([t1]), np.array([t2]), np.ones(1))


@pytest.mark.parametrize(("tr", "te"), [(0.5, 0.015), (2.0, 0.09), (0.3, 0.03)])
def test_spin_echo_steady_state(tr: float, te: float) -> None:
    r = simulate(bk.spin_echo_blocks(tr, te, n_tr=12, n_adc=1), one())
    ref = sig.spin_echo(1.0, T1 * 1e3, T2 * 1e3, tr * 1e3, te * 1e3)
    assert abs(r.signal[-1]) == pytest.approx(float(ref), rel=0.005)


@pytest.mark.parametrize("flip", [5.0, 15.0, float(sig.ernst_angle(10.0, T1 * 1e3)), 40.0, 90.0])
def test_spoiled_gre_steady_state(flip: float) -> None:
    blocks = bk.flash_blocks(4, 4, 0.2, tr_s=10e-3, te_s=3e-3, flip_deg=flip, rf_kind="hard", dummies=600)
    r = simulate(blocks, one())
    ref = sig.spoiled_gre(1.0, T1 * 1e3, T2 * 1e3, 10.0, 3.0, flip)  # one isochromat: T2* = T2
    assert abs(r.signal[-2]) == pytest.approx(float(ref), rel=0.005)


@pytest.mark.parametrize(("flip", "t1", "t2"), [(30.0, T1, T2), (60.0, 1.124, 0.095), (50.0, 3.7, 2.0)])
def test_bssfp_steady_state(flip: float, t1: float, t2: float) -> None:
    n = int(8 * t1 / 5e-3)
    r = simulate(bk.bssfp_blocks(5e-3, flip, n), one(t1, t2))
    ref = abs(sig.bssfp(1.0, t1 * 1e3, t2 * 1e3, 5.0, flip))
    assert abs(r.signal[-1]) == pytest.approx(float(ref), rel=0.005)


@pytest.mark.parametrize(("tr", "ti"), [(3.0, 0.3), (3.0, float(T1 * math.log(2))), (6.0, 1.5), (2.0, 1.2)])
def test_inversion_recovery_steady_state(tr: float, ti: float) -> None:
    r = simulate(bk.inversion_recovery_blocks(tr, ti, 0.01, n_tr=8), one())
    ref = float(sig.inversion_recovery(1.0, T1 * 1e3, T2 * 1e3, tr * 1e3, ti * 1e3, 10.0))
    assert abs(r.signal[-1]) == pytest.approx(abs(ref), rel=0.005, abs=2e-4)
    assert np.sign(r.signal[-1].imag) == np.sign(ref) or abs(ref) < 1e-3  # 90°x tips +z to +y: signal = i·Mz


def test_spin_echo_refocuses_t2_prime_but_not_t2() -> None:
    n, t2p, te = 401, 0.02, 0.06
    spins = Spins(np.zeros((n, 3)), lorentzian_offsets(n, t2p), np.full(n, T1), np.full(n, T2), np.full(n, 1 / n))
    r = simulate(bk.spin_echo_blocks(2.0, te, n_tr=1, n_adc=121, adc_window_s=0.012), spins)
    a = np.abs(r.signal)
    t = r.adc_times_s - 50e-6  # from the centre of the 90° pulse
    i = int(np.argmax(a))
    assert t[i] == pytest.approx(te, abs=1e-4)  # echo at TE
    assert a[i] == pytest.approx(math.exp(-te / T2), rel=0.005)  # only T2 decay survives
    t2s = 1 / (1 / T2 + 1 / t2p)
    off = np.argmin(np.abs(t - (te + 0.004)))  # away from the echo: decays with T2*
    assert a[off] == pytest.approx(math.exp(-(te + 0.004) / T2) * math.exp(-0.004 / t2p), rel=0.01)
    assert t2s < t2p


def test_fid_decays_with_t2_star() -> None:
    n, t2p = 801, 0.03
    spins = Spins(np.zeros((n, 3)), lorentzian_offsets(n, t2p), np.full(n, 1.0), np.full(n, 0.08), np.full(n, 1 / n))
    blocks = [bk.Block(50e-6, rf=bk.hard_pulse(90.0, 50e-6)), bk.Block(0.02, adc=bk.ADC(20, 1e-3))]
    r = simulate(blocks, spins)
    t = r.adc_times_s - 25e-6
    ref = np.exp(-t / 0.08 - t / t2p)
    np.testing.assert_allclose(np.abs(r.signal)[:10], ref[:10], rtol=0.02)


@pytest.fixture(scope="module")
def brain_spins():
    ph = brain_phantom(112, 2.0)
    n, fov = 64, 0.22
    c = (np.arange(n) - n // 2) * fov * 1e3 / n
    plane = slice_planes(SliceGeometry(phase_dir="AP"), ph)[0]
    lab = labels_on_grid(ph, plane, c, c)  # (phase = y, read = x)
    table = tissue_table(ph.label_materials, 1.5)
    return lab, table, spins_from_labels(lab, table, (fov, fov), chemical_shift=False)


def test_flash_image_matches_closed_form(brain_spins) -> None:
    lab, table, spins = brain_spins
    n = 64
    blocks = bk.flash_blocks(n, n, 0.22, tr_s=10e-3, te_s=4e-3, flip_deg=15.0, dummies=250)
    r = simulate(blocks, spins)
    img = np.abs(ifft2c(r.signal.reshape(n, n)))
    ref = np.abs(sig.spoiled_gre(table.pd, table.t1_ms, table.t2_ms, 10.0, 4.0, 15.0))
    for label in (4, 5):  # grey and white matter (large regions; T1 short enough for steady state)
        m = lab == label
        assert img[m].mean() == pytest.approx(ref[label], rel=0.02)
    assert np.corrcoef(img.ravel(), ref[lab].ravel())[0, 1] > 0.99


def test_trajectory_is_cartesian_and_numpy_reference_agrees(brain_spins) -> None:
    _, _, spins = brain_spins
    n, fov = 16, 0.22
    seg = flatten(bk.flash_blocks(n, n, fov, tr_s=8e-3, te_s=3.5e-3, flip_deg=20.0, dummies=2))
    k, _ = kspace_trajectory(seg)
    kx, ky = np.meshgrid((np.arange(n) - n / 2) / fov, (np.arange(n) - n / 2) / fov)
    np.testing.assert_allclose(k[:, 0], kx.ravel(), atol=1e-6)
    np.testing.assert_allclose(k[:, 1], ky.ravel(), atol=1e-6)
    np.testing.assert_allclose(k[:, 2], 0.0, atol=1e-6)
    a = simulate(seg, spins).signal
    b = simulate_numpy(seg, spins).signal
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.abs(a).max())


def test_sinc_slice_profile_width() -> None:
    thk = 5e-3
    rf = bk.sinc_pulse(30.0, 2e-3, 4.0)
    gsl = bk.trapezoid((4.0 / 2e-3) / thk, rf.duration_s)
    rf = bk.RFPulse(rf.signal_hz, rf.dwell_s, float(gsl.times_s[1]))
    reph = bk.trapezoid_area(-0.5 * gsl.amps_hz_m[1] * (rf.duration_s + float(gsl.times_s[1])))
    z = np.linspace(-10e-3, 10e-3, 401)
    spins = Spins(np.stack([0 * z, 0 * z, z], 1), np.zeros_like(z), np.full_like(z, 10.0), np.full_like(z, 10.0),
                  np.ones_like(z))
    blocks = [bk.Block(gsl.end_s, rf=rf, gz=gsl), bk.Block(reph.end_s, gz=reph)]
    r = simulate(blocks, spins)
    mxy = np.hypot(r.m_final[:, 0], r.m_final[:, 1])
    above = z[mxy > mxy.max() / 2]
    assert above.max() - above.min() == pytest.approx(thk, rel=0.08)
    # refocused: the centre of the slice has the full small-tip transverse magnetisation, phase-coherent
    assert abs(r.m_final[200, 0] + 1j * r.m_final[200, 1]) == pytest.approx(math.sin(math.radians(30)), rel=0.02)


def test_bad_blocks_raise() -> None:
    with pytest.raises(ValueError, match="after its block"):
        flatten([bk.Block(1e-3, gx=bk.trapezoid(1e5, 2e-3))])
    ramp = bk.Gradient(np.array([0.0, 1e-3]), np.array([0.0, 1e5]))
    with pytest.raises(ValueError, match="constant during an RF"):
        flatten([bk.Block(1e-3, rf=bk.hard_pulse(10.0, 1e-3), gz=ramp)])
    with pytest.raises(ValueError, match="minimum"):
        bk.flash_blocks(64, 64, 0.22, tr_s=10e-3, te_s=0.5e-3)


pypulseq = pytest.importorskip("pypulseq")


def test_pulseq_round_trip_and_simulation(tmp_path, brain_spins) -> None:
    from scanroom.physics.mri import pulseq_io

    seq = pulseq_io.make_flash(n_read=16, n_phase=16, tr_s=12e-3, te_s=5e-3, flip_deg=20.0)
    assert seq.check_timing()[0]
    path = tmp_path / "flash.seq"
    pulseq_io.write_seq(seq, path)
    read = pulseq_io.read_seq(path)
    direct = pulseq_io.blocks_from_pypulseq(seq)
    assert len(read) == len(direct) == len(seq.block_events)
    for a, b in zip(read, direct, strict=True):
        assert a.duration_s == pytest.approx(b.duration_s, abs=1e-9)
        assert (a.adc is None) == (b.adc is None) and (a.rf is None) == (b.rf is None)
        if a.rf is not None:
            np.testing.assert_allclose(a.rf.signal_hz, b.rf.signal_hz, rtol=1e-5, atol=1e-3)
    assert read[0].rf.flip_deg() == pytest.approx(20.0, rel=1e-3)
    # the trajectory agrees with pypulseq's own k-space calculation
    k_adc = pypulseq.Sequence()
    k_adc.read(str(path))
    ktraj_adc = np.asarray(k_adc.calculate_kspace()[0]).T
    seg = flatten(read)
    mine, _ = kspace_trajectory(seg)
    np.testing.assert_allclose(mine[:, :2], ktraj_adc[:, :2], atol=1e-3 * np.abs(ktraj_adc).max())
    # the file (waveforms stored to ~6 significant digits) and the in-memory sequence simulate alike
    _, _, spins = brain_spins
    a, b = simulate(read, spins).signal, simulate(direct, spins).signal
    np.testing.assert_allclose(a, b, atol=5e-3 * np.abs(b).max())


def test_pulseq_spin_echo_forms_echo_at_te() -> None:
    from scanroom.physics.mri import pulseq_io

    te = 30e-3
    blocks = pulseq_io.blocks_from_pypulseq(pulseq_io.make_spin_echo(te_s=te, n_adc=128, window_s=12.8e-3))
    n = 201
    spins = Spins(np.zeros((n, 3)), lorentzian_offsets(n, 0.02), np.full(n, T1), np.full(n, T2), np.full(n, 1 / n))
    r = simulate(blocks, spins)
    a = np.abs(r.signal)
    t_echo = r.adc_times_s[int(np.argmax(a))] - (100e-6 + 50e-6)  # from the 90° pulse centre
    assert t_echo == pytest.approx(te, abs=0.15e-3)
    assert a.max() == pytest.approx(math.exp(-te / T2), rel=0.01)


def test_pulseq_flash_with_ideal_spoiling_matches_closed_form(brain_spins) -> None:
    from scanroom.physics.mri import pulseq_io

    lab, table, spins = brain_spins
    n = 64
    seq = pulseq_io.make_flash(n, n, 0.22, tr_s=12e-3, te_s=5e-3, flip_deg=15.0, dummies=120)
    r = simulate(pulseq_io.blocks_from_pypulseq(seq, ideal_spoil=True), spins)
    img = np.abs(ifft2c(r.signal.reshape(n, n)))
    ref = np.abs(sig.spoiled_gre(table.pd, table.t1_ms, table.t2_ms, 12.0, 5.0, 15.0))
    for label in (4, 5):
        assert img[lab == label].mean() == pytest.approx(ref[label], rel=0.02)
